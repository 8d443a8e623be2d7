using FASTER.core;

namespace HierTcn.StateStore.Internal;

/// <summary>FASTER callbacks that copy a read value into the caller's <see cref="ReadBuffer"/> instead of a new array.</summary>
internal sealed class PooledReadFunctions : SpanByteFunctions<SpanByte, ReadBuffer, Empty>
{
    public override bool SingleReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref ReadBuffer dst, ref ReadInfo readInfo)
    {
        dst.Set(value.AsReadOnlySpan());
        return true;
    }

    public override bool ConcurrentReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref ReadBuffer dst, ref ReadInfo readInfo)
    {
        dst.Set(value.AsReadOnlySpan());
        return true;
    }
}

using System.Buffers.Binary;
using System.Numerics;

namespace HierTcn.Formats;

/// <summary>CRC-32C (Castagnoli, the iSCSI polynomial; check value of "123456789" is 0xE3069283) through the
/// hardware instruction where there is one. Shared by the user-state record and the state store's own files.</summary>
public static class Crc32C
{
    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    /// <summary>The running value to pass to the first <see cref="Append"/>.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>Extends a running value (from <see cref="Start"/> or an earlier <see cref="Append"/>) over
    /// <paramref name="data"/>; <see cref="Finish"/> turns it into the CRC.</summary>
    public static uint Append(uint running, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
            running = BitOperations.Crc32C(running, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++)
            running = BitOperations.Crc32C(running, data[i]);
        return running;
    }

    /// <summary>The CRC of everything appended to <paramref name="running"/>.</summary>
    public static uint Finish(uint running) => ~running;
}

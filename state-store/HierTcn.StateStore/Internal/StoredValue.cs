using System.Buffers.Binary;
using HierTcn.Formats.State;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// Value bytes in FASTER: int64 WAL address of the write, int32 process generation that wrote it (0: replayed at
/// recovery), int32 reserved, int64 write time (ms, Unix), then the serialized <see cref="UserState"/>. The WAL
/// address and generation let a reader tell a write whose commit is still in flight from a durable one.
/// </summary>
internal static class StoredValue
{
    public const int HeaderSize = 24;

    public static byte[] Encode(long walAddress, int generation, long writtenAtMs, ReadOnlySpan<byte> state)
    {
        var bytes = new byte[HeaderSize + state.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, walAddress);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), generation);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), writtenAtMs);
        state.CopyTo(bytes.AsSpan(HeaderSize));
        return bytes;
    }

    public static long WalAddress(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt64LittleEndian(value);

    public static int Generation(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt32LittleEndian(value[8..]);

    public static long WrittenAtMs(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt64LittleEndian(value[16..]);

    public static ReadOnlySpan<byte> State(ReadOnlySpan<byte> value) => value[HeaderSize..];

    public static ulong Version(ReadOnlySpan<byte> value) => UserStateSerializer.ReadVersion(State(value));
}

using System.Buffers.Binary;
using HierTcn.Formats;
using HierTcn.Formats.State;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// Value bytes in FASTER: int64 WAL address of the write, int32 process generation that wrote it (0: replayed at
/// recovery), uint32 CRC-32C of the record, int64 write time (ms, Unix), then the serialized <see cref="UserState"/>.
/// The WAL address and generation let a reader tell a write whose commit is still in flight from a durable one.
/// The CRC covers the key bytes, the rest of the header and the state, so a record damaged on disk (or found under
/// another key) is detected on read; a CRC field of 0 that does not match marks a record written before the field
/// existed, which only the state's own CRC checks.
/// </summary>
internal static class StoredValue
{
    public const int HeaderSize = 24;
    private const int CrcOffset = 12;

    public static byte[] Encode(ReadOnlySpan<byte> key, long walAddress, int generation, long writtenAtMs, ReadOnlySpan<byte> state)
    {
        var bytes = new byte[HeaderSize + state.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, walAddress);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), generation);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), writtenAtMs);
        state.CopyTo(bytes.AsSpan(HeaderSize));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(CrcOffset), Checksum(key, bytes));
        return bytes;
    }

    /// <summary>Null when the record under <paramref name="key"/> is intact; otherwise what is wrong with it.</summary>
    public static string? Check(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (value.Length < HeaderSize)
            return $"the record is {value.Length} bytes, shorter than its {HeaderSize}-byte header";
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(value[CrcOffset..]);
        uint computed = Checksum(key, value);
        if (stored == computed)
            return null;
        if (stored != 0)
            return $"record checksum mismatch (stored 0x{stored:x8}, computed 0x{computed:x8})";
        return UserStateSerializer.IsIntact(State(value)) ? null : "the state fails its own checksum";
    }

    public static long WalAddress(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt64LittleEndian(value);

    public static int Generation(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt32LittleEndian(value[8..]);

    public static long WrittenAtMs(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt64LittleEndian(value[16..]);

    public static ReadOnlySpan<byte> State(ReadOnlySpan<byte> value) => value[HeaderSize..];

    public static ulong Version(ReadOnlySpan<byte> value) => UserStateSerializer.ReadVersion(State(value));

    private static uint Checksum(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        uint running = Crc32C.Append(Crc32C.Start, key);
        running = Crc32C.Append(running, value[..CrcOffset]);
        return Crc32C.Finish(Crc32C.Append(running, value[(CrcOffset + 4)..]));
    }
}

using System.Buffers.Binary;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// A WAL entry's payload: uint8 kind (1 put, 2 delete), int64 write time (ms, Unix), uint64 version (of the state
/// written; for a delete, of the state removed), uint16 key length, the key bytes, then for a put the serialized
/// state. The WAL frames and checksums each payload; a put carries the whole new state, so replaying an entry twice
/// is harmless. The version lets recovery restore the store-wide version counter.
/// </summary>
internal static class WalRecord
{
    public const byte Put = 1;
    public const byte Delete = 2;
    private const int HeaderSize = 19;

    public static byte[] Encode(byte kind, long writtenAtMs, ulong version, ReadOnlySpan<byte> key, ReadOnlySpan<byte> state)
    {
        var bytes = new byte[HeaderSize + key.Length + state.Length];
        bytes[0] = kind;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), writtenAtMs);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(9), version);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(17), (ushort)key.Length);
        key.CopyTo(bytes.AsSpan(HeaderSize));
        state.CopyTo(bytes.AsSpan(HeaderSize + key.Length));
        return bytes;
    }

    /// <summary>False when the entry is malformed.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> entry, out byte kind, out long writtenAtMs, out ulong version, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> state)
    {
        kind = 0;
        writtenAtMs = 0;
        version = 0;
        key = default;
        state = default;
        if (entry.Length < HeaderSize)
            return false;
        kind = entry[0];
        writtenAtMs = BinaryPrimitives.ReadInt64LittleEndian(entry[1..]);
        version = BinaryPrimitives.ReadUInt64LittleEndian(entry[9..]);
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(entry[17..]);
        if (keyLength < 9 || HeaderSize + keyLength > entry.Length)
            return false;
        key = entry.Slice(HeaderSize, keyLength);
        state = entry[(HeaderSize + keyLength)..];
        return kind == Delete ? state.IsEmpty : kind == Put && !state.IsEmpty;
    }
}

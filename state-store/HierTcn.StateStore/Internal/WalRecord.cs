using System.Buffers.Binary;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// A WAL entry: uint8 kind (1 put, 2 delete), int64 write time (ms, Unix), uint16 key length, the key bytes, then
/// for a put the serialized state. FASTER's per-entry checksum guards each entry; a put carries the whole new state,
/// so replaying an entry twice is harmless.
/// </summary>
internal static class WalRecord
{
    public const byte Put = 1;
    public const byte Delete = 2;
    private const int HeaderSize = 11;

    public static byte[] Encode(byte kind, long writtenAtMs, ReadOnlySpan<byte> key, ReadOnlySpan<byte> state)
    {
        var bytes = new byte[HeaderSize + key.Length + state.Length];
        bytes[0] = kind;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), writtenAtMs);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(9), (ushort)key.Length);
        key.CopyTo(bytes.AsSpan(HeaderSize));
        state.CopyTo(bytes.AsSpan(HeaderSize + key.Length));
        return bytes;
    }

    /// <summary>False when the entry is malformed.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> entry, out byte kind, out long writtenAtMs, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> state)
    {
        kind = 0;
        writtenAtMs = 0;
        key = default;
        state = default;
        if (entry.Length < HeaderSize)
            return false;
        kind = entry[0];
        writtenAtMs = BinaryPrimitives.ReadInt64LittleEndian(entry[1..]);
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(entry[9..]);
        if (keyLength < 9 || HeaderSize + keyLength > entry.Length)
            return false;
        key = entry.Slice(HeaderSize, keyLength);
        state = entry[(HeaderSize + keyLength)..];
        return kind == Delete ? state.IsEmpty : kind == Put && !state.IsEmpty;
    }
}

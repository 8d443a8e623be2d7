using System.Buffers.Binary;
using HierTcn.Formats;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// How one WAL entry sits in a segment file (little-endian, 8-byte aligned):
/// <code>
/// 0  uint32 magic "HTWL"
/// 4  uint32 payload length
/// 8  int64  sequence number (one more than the entry before it)
/// 16 uint32 CRC-32C of the payload
/// 20 uint32 CRC-32C of bytes 0..19
/// 24 payload, then zeros up to the next multiple of 8
/// </code>
/// The header's own CRC lets a reader trust the length (and skip an entry whose payload is damaged); the magic and
/// the header CRC let it find the next entry after a damaged region by scanning.
/// </summary>
internal static class WalFrame
{
    public const int HeaderSize = 24;
    private const uint Magic = 0x4C575448;

    public static int SizeOf(int payloadLength) => (HeaderSize + payloadLength + 7) & ~7;

    /// <summary>Writes the frame of <paramref name="payload"/> into <paramref name="destination"/>, which is
    /// <see cref="SizeOf"/> bytes long and zeroed.</summary>
    public static void Write(Span<byte> destination, long sequence, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], Crc32C.Compute(payload));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], Crc32C.Compute(destination[..20]));
        payload.CopyTo(destination[HeaderSize..]);
    }

    /// <summary>True when a frame header that fits in <paramref name="data"/> starts at <paramref name="offset"/>;
    /// <paramref name="payloadIntact"/> says whether its payload passes its checksum.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, int offset, out int frameSize, out long sequence, out bool payloadIntact)
    {
        frameSize = 0;
        sequence = 0;
        payloadIntact = false;
        if (offset < 0 || data.Length - offset < HeaderSize)
            return false;
        var header = data.Slice(offset, HeaderSize);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic
            || BinaryPrimitives.ReadUInt32LittleEndian(header[20..]) != Crc32C.Compute(header[..20]))
            return false;
        int length = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        if (length < 0 || length > data.Length - offset - HeaderSize)
            return false;
        frameSize = SizeOf(length);
        sequence = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        payloadIntact = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]) == Crc32C.Compute(data.Slice(offset + HeaderSize, length));
        frameSize = Math.Min(frameSize, data.Length - offset);
        return true;
    }

    /// <summary>The payload of the frame at <paramref name="offset"/> (checked by <see cref="TryRead"/>).</summary>
    public static ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> data, int offset)
        => data.Slice(offset + HeaderSize, BinaryPrimitives.ReadInt32LittleEndian(data[(offset + 4)..]));
}

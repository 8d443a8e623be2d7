using System.Buffers.Binary;
using System.Text;
using HierTcn.Formats.State;

namespace HierTcn.StateStore.Internal;

/// <summary>Key bytes in FASTER and the WAL: int64 user id (little-endian), then the model version's UTF-8 bytes.</summary>
internal static class KeyCodec
{
    public static byte[] Encode(StateKey key)
    {
        int count = Encoding.UTF8.GetByteCount(key.ModelVersion);
        var bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, key.UserId);
        Encoding.UTF8.GetBytes(key.ModelVersion, bytes.AsSpan(8));
        return bytes;
    }

    /// <summary>Writes the key bytes into <paramref name="destination"/> (at least 8 + 255 bytes; the key must have
    /// passed <see cref="Check"/>) and returns how many.</summary>
    public static int EncodeInto(StateKey key, Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, key.UserId);
        return 8 + Encoding.UTF8.GetBytes(key.ModelVersion, destination[8..]);
    }

    public static StateKey Decode(ReadOnlySpan<byte> bytes)
        => new(Encoding.UTF8.GetString(bytes[8..]), BinaryPrimitives.ReadInt64LittleEndian(bytes));

    /// <summary>Null when the key is usable; otherwise why not.</summary>
    public static string? Check(StateKey key)
    {
        if (string.IsNullOrEmpty(key.ModelVersion))
            return "model version is empty";
        if (key.UserId < 0)
            return $"user id is {key.UserId}; user ids are not negative";
        int count = Encoding.UTF8.GetByteCount(key.ModelVersion);
        return count > UserStateSerializer.MaxModelVersionBytes
            ? $"model version is {count} bytes of UTF-8, at most {UserStateSerializer.MaxModelVersionBytes} are allowed"
            : null;
    }
}

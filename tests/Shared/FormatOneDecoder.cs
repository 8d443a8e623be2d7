using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;
using HierTcn.Formats;
using HierTcn.Formats.State;

namespace HierTcn.Tests.Shared;

/// <summary>The reader of builds from before user state format 2: <c>UserStateSerializer.TryDeserialize</c> as of commit
/// dda60f7^ (the parent of "User state format 2"), copied unchanged but for its name. It refuses any format version
/// but 1 and any byte after the recent event ids, as those builds do, so a record it reads is one they read.</summary>
internal static class FormatOneDecoder
{
    private const ushort FormatVersion = 1;
    private const int MaxHiddenSize = 1 << 20;
    private const int MaxListLength = 1 << 16;
    private const int VersionOffset = 8;
    private const int FixedHeaderSize = 37;
    private static ReadOnlySpan<byte> Magic => "HTUS"u8;

    public static UserState Deserialize(ReadOnlySpan<byte> bytes)
        => TryDeserialize(bytes, out var state, out var error) ? state : throw new InvalidDataException(error);

    public static bool TryDeserialize(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out UserState? state, [NotNullWhen(false)] out string? error)
    {
        state = null;
        if (bytes.Length < FixedHeaderSize + 1 + 4 * 4 + 4)
            return Fail($"user state is {bytes.Length} bytes, shorter than the smallest valid state", out error);
        if (!bytes[..4].SequenceEqual(Magic))
            return Fail("user state does not start with the magic \"HTUS\"", out error);
        ushort format = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (format != FormatVersion)
            return Fail($"user state has format version {format}, this build reads version {FormatVersion}", out error);
        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]);
        uint crc = Crc32C.Compute(bytes[..^4]);
        if (storedCrc != crc)
            return Fail($"user state checksum mismatch (stored 0x{storedCrc:x8}, computed 0x{crc:x8}): the bytes are damaged", out error);

        int sessionCount = BinaryPrimitives.ReadInt32LittleEndian(bytes[32..]);
        if (sessionCount < 0)
            return Fail($"user state field session_count is {sessionCount}, it cannot be negative", out error);
        int modelBytes = bytes[36];
        if (modelBytes == 0)
            return Fail("user state field model_version is empty", out error);
        int pos = FixedHeaderSize;
        var body = bytes[..^4];
        if (pos + modelBytes > body.Length)
            return Fail("user state field model_version runs past the end", out error);
        string modelVersion;
        try
        {
            modelVersion = new UTF8Encoding(false, true).GetString(body.Slice(pos, modelBytes));
        }
        catch (DecoderFallbackException)
        {
            return Fail("user state field model_version is not valid UTF-8", out error);
        }
        pos += modelBytes;
        if (!TryReadArray(body, ref pos, MaxHiddenSize, "hidden_state", out float[]? hidden, out error)
            || !TryReadArray(body, ref pos, MaxListLength, "session_sum", out float[]? sum, out error)
            || !TryReadArray(body, ref pos, MaxListLength, "session_items", out long[]? items, out error)
            || !TryReadArray(body, ref pos, MaxListLength, "recent_event_ids", out long[]? events, out error))
            return false;
        if (pos != body.Length)
            return Fail($"user state has {body.Length - pos} unexpected bytes before its checksum", out error);

        state = new UserState(modelVersion, BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]), 0, 0)
        {
            Version = BinaryPrimitives.ReadUInt64LittleEndian(bytes[VersionOffset..]),
            LastEventMs = BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]),
            SessionCount = sessionCount,
            HiddenState = hidden,
            SessionSum = sum,
            SessionItems = items,
            RecentEventIds = events,
        };
        error = null;
        return true;
    }

    private static bool TryReadArray<T>(ReadOnlySpan<byte> body, ref int pos, int max, string field, [NotNullWhen(true)] out T[]? values, [NotNullWhen(false)] out string? error)
        where T : unmanaged
    {
        values = null;
        if (pos + 4 > body.Length)
            return Fail($"user state field {field} runs past the end", out error);
        int length = BinaryPrimitives.ReadInt32LittleEndian(body[pos..]);
        pos += 4;
        if (length < 0 || length > max)
            return Fail($"user state field {field} has length {length}, allowed 0..{max}", out error);
        int byteCount = length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (pos + byteCount > body.Length)
            return Fail($"user state field {field} has length {length} but only {body.Length - pos} bytes remain", out error);
        values = MemoryMarshal.Cast<byte, T>(body.Slice(pos, byteCount)).ToArray();
        pos += byteCount;
        error = null;
        return true;
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }
}

using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;

namespace HierTcn.Formats.State;

/// <summary>
/// The compact, versioned binary form of a <see cref="UserState"/>: what the state store keeps and what its gRPC
/// contract carries. All numbers little-endian:
/// <code>
/// offset 0   magic "HTUS"
///        4   uint16 format version (2)
///        6   uint16 flags: bit 0 = the open session was ended and awaits its fold (format 2 on); no other bit is set
///        8   uint64 version                  (patched in place by the store, see SetVersion)
///       16   int64  user id
///       24   int64  last event time, ms
///       32   int32  session count
///       36   uint8  model version length n (1..255), then n bytes UTF-8
///            int32 + float32[]  hidden state (L*H)
///            int32 + float32[]  session embedding sum (d)
///            int32 + int64[]    open session item ids, oldest first
///            int32 + int64[]    recently applied event ids, oldest first
///            int64  open session start time, ms            (format 2 on)
///            int64  late-before time, ms                   (format 2 on)
///            int32 + int64[]    open session item times, one per item
///            int32 + int64[]    open session event ids, in time order
///            int32 + int64[]    open session event times, one per id
///            uint32 CRC-32C of every byte before it
/// </code>
/// A reader refuses any other magic, a format version it does not know, lengths beyond the limits below, trailing
/// bytes and a checksum mismatch, with a message that names the field. A format 1 record (without the fields marked
/// "format 2 on") is read as it was meant: its session items at its last event time, which also starts the session,
/// no open-session event ids, and nothing older than its last event applicable (<see cref="UserState.LateBeforeMs"/>);
/// it is written back in format 2. A state whose item times are unknown (<see cref="UserState.SessionItemTimes"/>
/// empty) is written with its items at its last event time.
/// <para>Writing format 1 (for a rolling upgrade while builds that read only format 1 still serve) gives the bytes
/// the format 1 serializer wrote: the fields marked "format 2 on" are dropped, so the record reads back
/// as a format 1 record does.</para>
/// </summary>
public static class UserStateSerializer
{
    /// <summary>The newest format version, written unless another is asked for.</summary>
    public const ushort FormatVersion = 2;

    /// <summary>The oldest format version read.</summary>
    public const ushort OldestFormatVersion = 1;

    /// <summary>Largest hidden state accepted (floats).</summary>
    public const int MaxHiddenSize = 1 << 20;

    /// <summary>Largest embedding sum, session item list and event id list accepted.</summary>
    public const int MaxListLength = 1 << 16;

    /// <summary>Largest model version accepted, in UTF-8 bytes.</summary>
    public const int MaxModelVersionBytes = 255;

    private static readonly UTF8Encoding s_strictUtf8 = new(false, true);
    private const int VersionOffset = 8;
    private const int FixedHeaderSize = 37;
    private static ReadOnlySpan<byte> Magic => "HTUS"u8;
    private const ushort SessionEndedFlag = 1;

    /// <summary>Size in bytes of <paramref name="state"/>'s serialized form in format <paramref name="format"/>
    /// (default <see cref="FormatVersion"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not one this build writes.</exception>
    public static int GetSize(UserState state, ushort format = FormatVersion)
    {
        ArgumentNullException.ThrowIfNull(state);
        CheckFormat(format);
        int modelBytes = Encoding.UTF8.GetByteCount(state.ModelVersion);
        int size = FixedHeaderSize + modelBytes
            + 4 + 4 * state.HiddenState.Length
            + 4 + 4 * state.SessionSum.Length
            + 4 + 8 * state.SessionItems.Length
            + 4 + 8 * state.RecentEventIds.Length
            + 4;
        return format == 1
            ? size
            : size + 8 + 8
                + 4 + 8 * state.SessionItems.Length
                + 4 + 8 * state.SessionEventIds.Length
                + 4 + 8 * state.SessionEventIds.Length;
    }

    /// <summary>Serializes <paramref name="state"/> to a new array, in format <paramref name="format"/> (default
    /// <see cref="FormatVersion"/>; 1 drops what format 2 adds).</summary>
    /// <exception cref="ArgumentException">A field is beyond the format's limits.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not one this build writes.</exception>
    public static byte[] Serialize(UserState state, ushort format = FormatVersion)
    {
        var bytes = new byte[GetSize(state, format)];
        Write(state, bytes, format);
        return bytes;
    }

    /// <summary>Serializes <paramref name="state"/> into <paramref name="destination"/>, which must be exactly
    /// <see cref="GetSize"/> bytes long for the same <paramref name="format"/>.</summary>
    /// <exception cref="ArgumentException">A field is beyond the format's limits or the destination size is wrong.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not one this build writes.</exception>
    public static void Write(UserState state, Span<byte> destination, ushort format = FormatVersion)
    {
        if (state.EventsOmitted)
            throw new ArgumentException("the state was read without its event ids (for ranking); storing it would forget them", nameof(state));
        int size = GetSize(state, format);
        if (destination.Length != size)
            throw new ArgumentException($"destination has {destination.Length} bytes, the state needs {size}", nameof(destination));
        int modelBytes = Encoding.UTF8.GetByteCount(state.ModelVersion);
        if (modelBytes > MaxModelVersionBytes)
            throw new ArgumentException($"model version is {modelBytes} bytes of UTF-8, at most {MaxModelVersionBytes} are allowed", nameof(state));
        CheckLength(state.HiddenState.Length, MaxHiddenSize, "hidden state");
        CheckLength(state.SessionSum.Length, MaxListLength, "session sum");
        CheckLength(state.SessionItems.Length, MaxListLength, "session items");
        CheckLength(state.RecentEventIds.Length, MaxListLength, "recent event ids");
        CheckLength(state.SessionEventIds.Length, MaxListLength, "session event ids");
        if (state.SessionItemTimes.Length != 0 && state.SessionItemTimes.Length != state.SessionItems.Length)
            throw new ArgumentException($"session item times has {state.SessionItemTimes.Length} values for {state.SessionItems.Length} session items", nameof(state));
        if (state.SessionEventTimes.Length != state.SessionEventIds.Length)
            throw new ArgumentException($"session event times has {state.SessionEventTimes.Length} values for {state.SessionEventIds.Length} session event ids", nameof(state));
        if (state.SessionCount < 0)
            throw new ArgumentException($"session count is {state.SessionCount}, it cannot be negative", nameof(state));
        if (state.SessionEnded && state.SessionCount == 0)
            throw new ArgumentException("the state says its open session was ended, but no session is open", nameof(state));
        if (state.SessionEnded && format == 1)
            throw new ArgumentException("format 1 cannot hold an ended session that awaits its fold (a time-gap model's); write format 2", nameof(state));

        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], format);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], state.SessionEnded ? SessionEndedFlag : (ushort)0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], state.Version);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], state.UserId);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], state.LastEventMs);
        BinaryPrimitives.WriteInt32LittleEndian(destination[32..], state.SessionCount);
        destination[36] = (byte)modelBytes;
        int pos = FixedHeaderSize + Encoding.UTF8.GetBytes(state.ModelVersion, destination[FixedHeaderSize..]);
        pos = WriteArray<float>(destination, pos, state.HiddenState);
        pos = WriteArray<float>(destination, pos, state.SessionSum);
        pos = WriteArray<long>(destination, pos, state.SessionItems);
        pos = WriteArray<long>(destination, pos, state.RecentEventIds);
        if (format == 1)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[pos..], Crc32C.Compute(destination[..pos]));
            return;
        }
        BinaryPrimitives.WriteInt64LittleEndian(destination[pos..], state.SessionStartMs);
        BinaryPrimitives.WriteInt64LittleEndian(destination[(pos + 8)..], state.LateBeforeMs);
        pos += 16;
        if (state.SessionItemTimes.Length == state.SessionItems.Length)
        {
            pos = WriteArray<long>(destination, pos, state.SessionItemTimes);
        }
        else
        {
            var times = new long[state.SessionItems.Length];
            Array.Fill(times, state.LastEventMs);
            pos = WriteArray<long>(destination, pos, times);
        }
        pos = WriteArray<long>(destination, pos, state.SessionEventIds);
        pos = WriteArray<long>(destination, pos, state.SessionEventTimes);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[pos..], Crc32C.Compute(destination[..pos]));
    }

    /// <summary>Parses a serialized state.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid serialized state; the message names the
    /// field and the problem.</exception>
    public static UserState Deserialize(ReadOnlySpan<byte> bytes)
        => TryDeserialize(bytes, out var state, out var error) ? state : throw new InvalidDataException(error);

    /// <summary>Parses a serialized state; on failure returns false and a message naming the field and the problem.</summary>
    public static bool TryDeserialize(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out UserState? state, [NotNullWhen(false)] out string? error)
        => TryDeserialize(bytes, omitEvents: false, out state, out error);

    /// <summary>Parses a serialized state, validated as <see cref="TryDeserialize(ReadOnlySpan{byte}, out UserState?, out string?)"/>
    /// does. With <paramref name="omitEvents"/> the session item times and the event ids and times are checked but
    /// not copied (left empty, <see cref="UserState.EventsOmitted"/> set): what ranking needs, without the arrays that
    /// grow with the session; such a state cannot be serialized.</summary>
    public static bool TryDeserialize(ReadOnlySpan<byte> bytes, bool omitEvents, [NotNullWhen(true)] out UserState? state,
        [NotNullWhen(false)] out string? error)
    {
        state = null;
        if (bytes.Length < FixedHeaderSize + 1 + 4 * 4 + 4)
            return Fail($"user state is {bytes.Length} bytes, shorter than the smallest valid state", out error);
        if (!bytes[..4].SequenceEqual(Magic))
            return Fail("user state does not start with the magic \"HTUS\"", out error);
        ushort format = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (format is < OldestFormatVersion or > FormatVersion)
            return Fail($"user state has format version {format}, this build reads versions {OldestFormatVersion} to {FormatVersion}", out error);
        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]);
        uint crc = Crc32C.Compute(bytes[..^4]);
        if (storedCrc != crc)
            return Fail($"user state checksum mismatch (stored 0x{storedCrc:x8}, computed 0x{crc:x8}): the bytes are damaged", out error);

        int sessionCount = BinaryPrimitives.ReadInt32LittleEndian(bytes[32..]);
        if (sessionCount < 0)
            return Fail($"user state field session_count is {sessionCount}, it cannot be negative", out error);
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]);
        if ((flags & ~SessionEndedFlag) != 0 || (flags != 0 && format == 1))
            return Fail($"user state has flags 0x{flags:x4}, this build knows 0x{SessionEndedFlag:x4} (format 2 on)", out error);
        bool sessionEnded = (flags & SessionEndedFlag) != 0;
        if (sessionEnded && sessionCount == 0)
            return Fail("user state flags say the open session was ended, but session_count is 0", out error);
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
            modelVersion = s_strictUtf8.GetString(body.Slice(pos, modelBytes));
        }
        catch (DecoderFallbackException)
        {
            return Fail("user state field model_version is not valid UTF-8", out error);
        }
        pos += modelBytes;
        if (!TryReadArray(body, ref pos, MaxHiddenSize, "hidden_state", out float[]? hidden, out error)
            || !TryReadArray(body, ref pos, MaxListLength, "session_sum", out float[]? sum, out error)
            || !TryReadArray(body, ref pos, MaxListLength, "session_items", out long[]? items, out error)
            || !TryReadArray(body, ref pos, MaxListLength, "recent_event_ids", omitEvents, out long[]? events, out error))
            return false;
        long lastEventMs = BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]);
        long sessionStartMs, lateBeforeMs;
        long[]? itemTimes, sessionIds, sessionTimes;
        if (format == 1)
        {
            sessionStartMs = sessionCount > 0 ? lastEventMs : 0;
            lateBeforeMs = lastEventMs;
            itemTimes = omitEvents ? [] : new long[items.Length];
            Array.Fill(itemTimes, lastEventMs);
            sessionIds = [];
            sessionTimes = [];
        }
        else
        {
            if (pos + 16 > body.Length)
                return Fail("user state field session_start_ms runs past the end", out error);
            sessionStartMs = BinaryPrimitives.ReadInt64LittleEndian(body[pos..]);
            lateBeforeMs = BinaryPrimitives.ReadInt64LittleEndian(body[(pos + 8)..]);
            pos += 16;
            int timesAt = pos;
            if (!TryReadArray(body, ref pos, MaxListLength, "session_item_times", omitEvents, out itemTimes, out error))
                return false;
            int idsAt = pos;
            if (!TryReadArray(body, ref pos, MaxListLength, "session_event_ids", omitEvents, out sessionIds, out error))
                return false;
            int eventTimesAt = pos;
            if (!TryReadArray(body, ref pos, MaxListLength, "session_event_times", omitEvents, out sessionTimes, out error))
                return false;
            int itemTimeCount = BinaryPrimitives.ReadInt32LittleEndian(body[timesAt..]);
            if (itemTimeCount != items.Length)
                return Fail($"user state field session_item_times has length {itemTimeCount}, session_items has {items.Length}", out error);
            int idCount = BinaryPrimitives.ReadInt32LittleEndian(body[idsAt..]);
            int eventTimeCount = BinaryPrimitives.ReadInt32LittleEndian(body[eventTimesAt..]);
            if (eventTimeCount != idCount)
                return Fail($"user state field session_event_times has length {eventTimeCount}, session_event_ids has {idCount}", out error);
        }
        if (pos != body.Length)
            return Fail($"user state has {body.Length - pos} unexpected bytes before its checksum", out error);

        state = new UserState(modelVersion, BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]), 0, 0)
        {
            Version = BinaryPrimitives.ReadUInt64LittleEndian(bytes[VersionOffset..]),
            LastEventMs = lastEventMs,
            SessionCount = sessionCount,
            HiddenState = hidden,
            SessionSum = sum,
            SessionItems = items,
            SessionItemTimes = itemTimes,
            SessionStartMs = sessionStartMs,
            RecentEventIds = events,
            SessionEventIds = sessionIds,
            SessionEventTimes = sessionTimes,
            LateBeforeMs = lateBeforeMs,
            SessionEnded = sessionEnded,
            EventsOmitted = omitEvents,
        };
        error = null;
        return true;
    }

    /// <summary>True when <paramref name="bytes"/> has the magic, a format version this build reads and a matching
    /// checksum (a cheap integrity check; <see cref="TryDeserialize(ReadOnlySpan{byte}, out UserState?, out string?)"/> also validates every field).</summary>
    public static bool IsIntact(ReadOnlySpan<byte> bytes)
        => bytes.Length >= FixedHeaderSize + 1 + 4 * 4 + 4
            && bytes[..4].SequenceEqual(Magic)
            && BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]) is >= OldestFormatVersion and <= FormatVersion
            && BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]) == Crc32C.Compute(bytes[..^4]);

    /// <summary>Reads the store-assigned version without parsing the rest (the bytes must be a valid state).</summary>
    public static ulong ReadVersion(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadUInt64LittleEndian(bytes[VersionOffset..]);

    /// <summary>Sets the store-assigned version of a serialized state in place and recomputes its checksum.</summary>
    public static void SetVersion(Span<byte> bytes, ulong version)
    {
        if (bytes.Length < FixedHeaderSize + 4)
            throw new ArgumentException($"user state is {bytes.Length} bytes, too short", nameof(bytes));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[VersionOffset..], version);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[^4..], Crc32C.Compute(bytes[..^4]));
    }

    private static void CheckFormat(ushort format)
    {
        if (format is < OldestFormatVersion or > FormatVersion)
            throw new ArgumentOutOfRangeException(nameof(format), format, $"user state format {format} cannot be written; this build writes {OldestFormatVersion} to {FormatVersion}");
    }

    private static void CheckLength(int length, int max, string field)
    {
        if (length > max)
            throw new ArgumentException($"{field} has {length} values, at most {max} are allowed", "state");
    }

    private static int WriteArray<T>(Span<byte> destination, int pos, T[] values) where T : unmanaged
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination[pos..], values.Length);
        pos += 4;
        var raw = MemoryMarshal.AsBytes(values.AsSpan());
        if (BitConverter.IsLittleEndian)
            raw.CopyTo(destination[pos..]);
        else
            throw new PlatformNotSupportedException("the user state format is little-endian");
        return pos + raw.Length;
    }

    private static bool TryReadArray<T>(ReadOnlySpan<byte> body, ref int pos, int max, string field, [NotNullWhen(true)] out T[]? values, [NotNullWhen(false)] out string? error)
        where T : unmanaged
        => TryReadArray(body, ref pos, max, field, skip: false, out values, out error);

    /// <summary>Reads a length-prefixed array; with <paramref name="skip"/> checks it and moves past it, giving an
    /// empty array.</summary>
    private static bool TryReadArray<T>(ReadOnlySpan<byte> body, ref int pos, int max, string field, bool skip, [NotNullWhen(true)] out T[]? values,
        [NotNullWhen(false)] out string? error)
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
        values = skip ? [] : MemoryMarshal.Cast<byte, T>(body.Slice(pos, byteCount)).ToArray();
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

using System.Runtime.InteropServices;
using System.Text;

namespace HierTcn.Data.Dataset;

/// <summary>
/// Layout of <c>dataset.bin</c>: a 16-byte preamble (magic "HTCNDS\0\0", int32 format version, int32 section count),
/// a table of 32-byte entries (name: 16 bytes ASCII, zero-padded; int64 byte offset; int64 element count), then each
/// section's little-endian array, 64-byte aligned. The sections and their element types are:
/// <list type="table">
/// <item><term>item_ids</term><description>int64[N]: external id of each dense item id (ascending)</description></item>
/// <item><term>user_ids</term><description>int64[U]: external user id, users in ascending id order</description></item>
/// <item><term>user_split</term><description>uint8[U]: the user's split (cold and score splits; 255 in the warm split)</description></item>
/// <item><term>user_sessions</term><description>int32[U+1]: offsets into the sessions</description></item>
/// <item><term>session_events</term><description>int32[S+1]: offsets into the events</description></item>
/// <item><term>event_items</term><description>int32[E]: dense item id</description></item>
/// <item><term>event_ts</term><description>int64[E]: timestamp in ms</description></item>
/// <item><term>event_split</term><description>uint8[E]: the event's split</description></item>
/// <item><term>imp_offsets</term><description>int64[E+1], only with impressions: offsets into imp_items</description></item>
/// <item><term>imp_items</term><description>int32[M], only with impressions: dense ids of the items shown with each event</description></item>
/// <item><term>item_features</term><description>float32[N*d], only with item features (header <c>item_feature_dim</c> = d): row-major by dense item id</description></item>
/// </list>
/// </summary>
public static class DatasetFile
{
    public const string FileName = "dataset.bin";
    public const int FormatVersion = 1;
    public const int Alignment = 64;
    public static ReadOnlySpan<byte> Magic => "HTCNDS\0\0"u8;
    public const int PreambleSize = 16;
    public const int EntrySize = 32;
    public const int NameSize = 16;

    public const string ItemIds = "item_ids";
    public const string UserIds = "user_ids";
    public const string UserSplit = "user_split";
    public const string UserSessions = "user_sessions";
    public const string SessionEvents = "session_events";
    public const string EventItems = "event_items";
    public const string EventTimestamps = "event_ts";
    public const string EventSplit = "event_split";
    public const string ImpressionOffsets = "imp_offsets";
    public const string ImpressionItems = "imp_items";
    public const string ItemFeatures = "item_features";

    /// <summary>Writes the sections to <paramref name="path"/>; returns nothing, the caller hashes and renames.</summary>
    internal static void Write(string path, IReadOnlyList<(string Name, Array Data)> sections)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        long tableEnd = PreambleSize + (long)EntrySize * sections.Count;
        var offsets = new long[sections.Count];
        long cursor = Align(tableEnd);
        for (int i = 0; i < sections.Count; i++)
        {
            offsets[i] = cursor;
            cursor = Align(cursor + ByteLength(sections[i].Data));
        }

        Span<byte> preamble = stackalloc byte[PreambleSize];
        Magic.CopyTo(preamble);
        BitConverter.TryWriteBytes(preamble[8..], FormatVersion);
        BitConverter.TryWriteBytes(preamble[12..], sections.Count);
        stream.Write(preamble);
        Span<byte> entry = stackalloc byte[EntrySize];
        for (int i = 0; i < sections.Count; i++)
        {
            entry.Clear();
            if (Encoding.ASCII.GetBytes(sections[i].Name, entry[..NameSize]) > NameSize)
            {
                throw new ArgumentException($"section name too long: {sections[i].Name}");
            }
            BitConverter.TryWriteBytes(entry[16..], offsets[i]);
            BitConverter.TryWriteBytes(entry[24..], (long)sections[i].Data.Length);
            stream.Write(entry);
        }
        for (int i = 0; i < sections.Count; i++)
        {
            Pad(stream, offsets[i]);
            stream.Write(Bytes(sections[i].Data));
        }
        Pad(stream, cursor);
        stream.Flush(flushToDisk: true);
    }

    internal static long Align(long x) => (x + Alignment - 1) / Alignment * Alignment;

    private static void Pad(FileStream stream, long to)
    {
        while (stream.Position < to)
        {
            stream.WriteByte(0);
        }
    }

    private static long ByteLength(Array data) => Bytes(data).Length;

    private static ReadOnlySpan<byte> Bytes(Array data) => data switch
    {
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        byte[] a => a,
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new ArgumentException($"unsupported section type {data.GetType()}"),
    };
}

using System.Buffers.Binary;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// Reads the write-ahead log's files directly, without FASTER, so that recovery can step over damage instead of
/// stopping at it, and can read a log whose commit records are lost.
/// <para>FasterLog's layout (per-entry checksums): an entry is a uint64 checksum, an int32 payload length and the
/// payload, padded to 4 bytes; the checksum is the XOR of the 8-byte little-endian words of the length and payload,
/// the bytes left over XORed one by one into the lowest byte. Entries do not cross pages; a zero length ends the
/// page's entries. Addresses below 64 hold no entry. Address A lives in file <c>wal.log.(A &gt;&gt; segment bits)</c> at
/// offset A mod the segment size.</para>
/// </summary>
internal sealed class WalScanner(string directory, int pageSizeBits, int segmentSizeBits)
{
    private const int HeaderSize = 12;
    private const long FirstAddress = 64;
    private readonly long _pageSize = 1L << pageSizeBits;

    /// <summary>A region of the log that holds no readable entry.</summary>
    public readonly record struct Damage(long Start, long End, string Reason);

    /// <summary>Entries in [<paramref name="from"/>, <paramref name="to"/>) whose checksum holds and that
    /// <paramref name="plausible"/> accepts, in address order. With <paramref name="stepOver"/>, an unreadable
    /// region is reported to <paramref name="damaged"/> and reading resumes at the next readable entry; without it,
    /// reading stops there (the end of a log whose commit records are lost is not marked).</summary>
    public IEnumerable<(long Address, byte[] Payload)> Read(long from, long to, bool stepOver, Func<byte[], bool> plausible, Action<Damage> damaged)
    {
        from = Math.Max(from, FirstAddress);
        long? badSince = null;
        string badReason = "";
        for (long page = from & ~(_pageSize - 1); page < to; page += _pageSize)
        {
            long start = Math.Max(page, from);
            long end = Math.Min(page + _pageSize, to);
            byte[] bytes = ReadRange(page, end - page, out long available);
            // A file that ends early: read what is there, then everything from its end on is gone.
            bool cut = available < end - page;
            if (cut)
                end = page + available;
            long at = start;
            while (at + HeaderSize <= end)
            {
                int offset = (int)(at - page);
                int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + 8));
                if (length == 0 && badSince is null && IsZero(bytes.AsSpan(offset, (int)(end - at))))
                    break; // the rest of the page is empty: the next entry starts on the next page
                if (TryEntry(bytes, offset, (int)(end - page), plausible, out var payload, out int size, out string reason))
                {
                    if (badSince is { } since)
                    {
                        damaged(new Damage(since, at, badReason));
                        badSince = null;
                    }
                    yield return (at, payload);
                    at += size;
                    continue;
                }
                if (!stepOver)
                {
                    if (!(length == 0 && IsZero(bytes.AsSpan(offset, (int)(end - at)))))
                        damaged(new Damage(at, to, reason));
                    yield break;
                }
                if (badSince is null)
                {
                    badSince = at;
                    badReason = reason;
                }
                at += 4;
            }
            if (cut)
            {
                damaged(new Damage(badSince ?? Math.Max(end, start), to, badSince is null ? "the file ends before the log does" : badReason));
                yield break;
            }
        }
        if (badSince is { } last)
            damaged(new Damage(last, to, badReason));
    }

    private static bool TryEntry(byte[] page, int offset, int limit, Func<byte[], bool> plausible, out byte[] payload, out int size, out string reason)
    {
        payload = [];
        size = 0;
        int length = BinaryPrimitives.ReadInt32LittleEndian(page.AsSpan(offset + 8));
        if (length <= 0 || length > limit - offset - HeaderSize)
        {
            reason = $"entry length {length} is impossible";
            return false;
        }
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(offset));
        if (Checksum(page.AsSpan(offset + 8, 4 + length)) != stored)
        {
            reason = "an entry fails its checksum";
            return false;
        }
        payload = page.AsSpan(offset + HeaderSize, length).ToArray();
        if (!plausible(payload))
        {
            reason = "an entry's content is malformed or fails its own checksum";
            return false;
        }
        size = HeaderSize + ((length + 3) & ~3);
        reason = "";
        return true;
    }

    private static ulong Checksum(ReadOnlySpan<byte> bytes)
    {
        ulong result = 0;
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
            result ^= BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]);
        for (; i < bytes.Length; i++)
            result ^= bytes[i];
        return result;
    }

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    /// <summary>Bytes [address, address + length) of the log (one page at most); <paramref name="available"/> says how
    /// many exist in the file.</summary>
    private byte[] ReadRange(long address, long length, out long available)
    {
        var buffer = new byte[length];
        available = 0;
        string path = Path.Combine(directory, "wal.log." + (address >> segmentSizeBits).ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete });
            file.Position = address & ((1L << segmentSizeBits) - 1);
            int read;
            while (available < length && (read = file.Read(buffer, (int)available, (int)(length - available))) > 0)
                available += read;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
        }
        return buffer;
    }
}

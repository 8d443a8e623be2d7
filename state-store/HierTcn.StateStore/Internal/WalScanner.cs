using System.IO.MemoryMappedFiles;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// Reads the WAL for recovery without trusting any file: every frame is checked; an entry whose payload fails its
/// checksum is skipped (its header says where the next one starts); a region with no valid header is skipped by
/// looking for the next valid header at every 8-byte boundary. Sequence numbers tell how many entries went missing.
/// </summary>
internal static class WalScanner
{
    /// <summary>Hands every readable entry at or after <paramref name="from"/> to <paramref name="onEntry"/>
    /// (address, payload), in order. <paramref name="expectedSequence"/> is the sequence number the first entry
    /// should have (-1: unknown).</summary>
    public static WalScanResult Scan(string directory, int segmentSizeBits, long from, long expectedSequence, Action<long, byte[]> onEntry)
    {
        long segmentSize = 1L << segmentSizeBits;
        var damages = new List<WalDamage>();
        long tail = from, next = expectedSequence, entries = 0, lost = 0;
        foreach (var (index, path) in WalSegments.List(directory))
        {
            long start = index * segmentSize;
            if (start + segmentSize <= from)
                continue;
            int offset = (int)Math.Max(0, from - start);
            ScanSegment(path, start, offset, damages, ref tail, ref next, ref entries, ref lost, onEntry);
        }
        for (int i = 0; i < damages.Count; i++)
            damages[i] = damages[i] with { EntriesFollow = damages[i].Address < tail };
        return new WalScanResult(tail, Math.Max(next, 0), entries, lost, damages);
    }

    private static unsafe void ScanSegment(string path, long start, int offset, List<WalDamage> damages,
        ref long tail, ref long next, ref long entries, ref long lost, Action<long, byte[]> onEntry)
    {
        long length = new FileInfo(path).Length;
        if (length <= offset)
            return;
        using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            var data = new ReadOnlySpan<byte>(pointer + view.PointerOffset, (int)length);
            int pos = offset;
            while (pos < data.Length)
            {
                if (!WalFrame.TryRead(data, pos, out int size, out long sequence, out bool intact))
                {
                    int damagedFrom = pos;
                    pos = (pos + 8) & ~7;
                    while (pos < data.Length && !WalFrame.TryRead(data, pos, out _, out _, out _))
                        pos += 8;
                    pos = Math.Min(pos, data.Length);
                    damages.Add(new WalDamage(start + damagedFrom, pos - damagedFrom, "no valid entry header", false));
                    continue;
                }
                if (!intact)
                {
                    damages.Add(new WalDamage(start + pos, size, $"entry {sequence} fails its checksum", false));
                }
                else if (next >= 0 && sequence < next)
                {
                    damages.Add(new WalDamage(start + pos, size, $"entry {sequence} is older than the entry before it ({next - 1})", false));
                }
                else
                {
                    if (next >= 0)
                        lost += sequence - next;
                    onEntry(start + pos, WalFrame.Payload(data, pos).ToArray());
                    entries++;
                    next = sequence + 1;
                    tail = start + pos + size;
                }
                pos += size;
            }
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }
}

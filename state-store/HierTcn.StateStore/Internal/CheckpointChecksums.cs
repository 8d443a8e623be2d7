using System.Buffers.Binary;
using System.Text;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// The engine's own checksums of what a FASTER checkpoint needs, since FASTER keeps none: every file of the
/// checkpoint (index and log checkpoint folders) and the store log bytes it covers ([begin, flushed) of the hybrid
/// log, in aligned chunks). One file per checkpoint, <c>checkpoints/checksums/TOKEN.crc</c>, written (atomically)
/// when the checkpoint completes and checked before FASTER is handed the checkpoint at recovery: FASTER does not
/// validate what it reads and can crash the process on damaged bytes.
/// <para>Layout (little-endian): "HTCK", int32 format 1, token (16 bytes), int64 log begin, int64 log end, int32
/// chunk bits, int32 chunk count, uint32 CRC-32C per chunk, int32 file count, per file (uint16 path length, UTF-8
/// path relative to the checkpoint directory, int64 length, uint32 CRC-32C), then uint32 CRC-32C of all before.</para>
/// <para>Store log bytes below the flushed address are never rewritten (FASTER updates records in place only in
/// its in-memory mutable region), so the chunk checksums of one checkpoint are reused by the next.</para>
/// </summary>
internal sealed class CheckpointChecksums
{
    private const uint Magic = 0x4B435448; // "HTCK"
    private const int Format = 1;
    private readonly string _checkpointDirectory;
    private readonly string _hlogDirectory;
    private readonly int _segmentBits;
    private readonly int _chunkBits;
    private readonly Dictionary<(long Start, long End), uint> _chunkCache = [];

    public CheckpointChecksums(string checkpointDirectory, string hlogDirectory, int segmentSizeBits)
    {
        _checkpointDirectory = checkpointDirectory;
        _hlogDirectory = hlogDirectory;
        _segmentBits = segmentSizeBits;
        _chunkBits = Math.Min(20, segmentSizeBits);
    }

    public string Folder => Path.Combine(_checkpointDirectory, "checksums");

    /// <summary>False for a directory written before the engine kept checksums.</summary>
    public bool AnyKept => Directory.Exists(Folder);

    public bool Exists(Guid token) => File.Exists(PathOf(token));

    public void Delete(Guid token)
    {
        try
        {
            File.Delete(PathOf(token));
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Writes the checksums of checkpoint <paramref name="token"/> covering store log bytes
    /// [<paramref name="logBegin"/>, <paramref name="logEnd"/>).</summary>
    public void Write(Guid token, long logBegin, long logEnd)
    {
        Directory.CreateDirectory(Folder);
        var chunks = new List<uint>();
        var keep = new HashSet<(long, long)>();
        foreach (var (start, end) in Chunks(logBegin, logEnd))
        {
            if (!_chunkCache.TryGetValue((start, end), out uint crc))
            {
                crc = LogCrc(start, end) ?? throw new IOException($"the store log ends before address {end}");
                _chunkCache[(start, end)] = crc;
            }
            keep.Add((start, end));
            chunks.Add(crc);
        }
        foreach (var stale in _chunkCache.Keys.Where(k => k.Start < logBegin || (!keep.Contains(k) && k.End % (1L << _chunkBits) != 0)).ToList())
            _chunkCache.Remove(stale);

        var files = CheckpointFiles(token);
        using var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Format);
            writer.Write(token.ToByteArray());
            writer.Write(logBegin);
            writer.Write(logEnd);
            writer.Write(_chunkBits);
            writer.Write(chunks.Count);
            foreach (uint crc in chunks)
                writer.Write(crc);
            writer.Write(files.Count);
            foreach (var relative in files)
            {
                var path = Path.Combine(_checkpointDirectory, relative);
                long length = new FileInfo(path).Length;
                var name = Encoding.UTF8.GetBytes(relative.Replace(Path.DirectorySeparatorChar, '/'));
                writer.Write((ushort)name.Length);
                writer.Write(name);
                writer.Write(length);
                writer.Write(FileChecksums.CrcOfRange(path, 0, length) ?? throw new IOException($"{path} changed while its checksum was taken"));
            }
        }
        var bytes = body.ToArray();
        var target = PathOf(token);
        var temporary = target + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            Span<byte> trailer = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(trailer, FileChecksums.Crc(bytes));
            file.Write(trailer);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, target, overwrite: true);
    }

    /// <summary>The end of the store log range checkpoint <paramref name="token"/> covers (later checkpoints cover
    /// more); -1 when its checksum file is missing or unreadable.</summary>
    public long LogEndOf(Guid token)
    {
        try
        {
            using var file = new FileStream(PathOf(token), FileMode.Open, FileAccess.Read, FileShare.Read);
            Span<byte> header = stackalloc byte[40];
            return file.Read(header) == header.Length && BinaryPrimitives.ReadUInt32LittleEndian(header) == Magic
                ? BinaryPrimitives.ReadInt64LittleEndian(header[32..])
                : -1;
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>Forgets the cached store log checksums of bytes at or past <paramref name="address"/> (the log is
    /// rewritten from there after recovering an older checkpoint).</summary>
    public void ForgetFrom(long address)
    {
        foreach (var stale in _chunkCache.Keys.Where(k => k.End > address).ToList())
            _chunkCache.Remove(stale);
    }

    /// <summary>Checks checkpoint <paramref name="token"/> against its checksums. Returns null when every file and
    /// every covered store log byte is intact (with the covered log range), else what is wrong.</summary>
    public string? Verify(Guid token, out long logBegin, out long logEnd)
    {
        logBegin = logEnd = 0;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(PathOf(token));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return "it has no checksum file (the process probably died while taking it)";
        }
        catch (IOException ex)
        {
            return $"its checksum file cannot be read ({ex.Message})";
        }
        if (bytes.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)) != FileChecksums.Crc(bytes.AsSpan(0, bytes.Length - 4)))
            return "its checksum file is damaged";
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 0, bytes.Length - 4), Encoding.UTF8);
            if (reader.ReadUInt32() != Magic || reader.ReadInt32() != Format || new Guid(reader.ReadBytes(16)) != token)
                return "its checksum file belongs to another checkpoint or format";
            logBegin = reader.ReadInt64();
            logEnd = reader.ReadInt64();
            int chunkBits = reader.ReadInt32();
            int chunkCount = reader.ReadInt32();
            var expected = new uint[chunkCount];
            for (int i = 0; i < chunkCount; i++)
                expected[i] = reader.ReadUInt32();
            int fileCount = reader.ReadInt32();
            var problems = new List<string>();
            for (int i = 0; i < fileCount; i++)
            {
                string relative = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadUInt16()));
                long length = reader.ReadInt64();
                uint crc = reader.ReadUInt32();
                var path = Path.Combine(_checkpointDirectory, relative);
                var info = new FileInfo(path);
                if (!info.Exists)
                    problems.Add($"{relative} is missing");
                else if (info.Length != length)
                    problems.Add($"{relative} is {info.Length} bytes, {length} were written");
                else if (FileChecksums.CrcOfRange(path, 0, length) != crc)
                    problems.Add($"{relative} fails its checksum");
            }
            if (problems.Count == 0)
            {
                int index = 0;
                foreach (var (start, end) in Chunks(logBegin, logEnd, chunkBits))
                {
                    if (index >= expected.Length)
                        break;
                    // A chunk read and found intact for a newer checkpoint in this recovery is not read again.
                    uint? actual = _chunkCache.TryGetValue((start, end), out uint known) && known == expected[index] ? known : LogCrc(start, end);
                    if (actual is null)
                        problems.Add($"the store log ends before address {end} (file {SegmentPath(start)})");
                    else if (actual != expected[index])
                        problems.Add($"store log bytes [{start}, {end}) fail their checksum (file {SegmentPath(start)}, offset {Offset(start)})");
                    else
                        _chunkCache[(start, end)] = actual.Value;
                    index++;
                    if (problems.Count >= 4)
                        break;
                }
            }
            return problems.Count == 0 ? null : string.Join("; ", problems);
        }
        catch (EndOfStreamException)
        {
            return "its checksum file is truncated";
        }
    }

    private IEnumerable<(long Start, long End)> Chunks(long begin, long end, int? chunkBits = null)
    {
        long size = 1L << (chunkBits ?? _chunkBits);
        for (long start = begin; start < end;)
        {
            long next = Math.Min(end, (start / size + 1) * size);
            yield return (start, next);
            start = next;
        }
    }

    private uint? LogCrc(long start, long end) => FileChecksums.CrcOfRange(SegmentPath(start), Offset(start), end - start);

    private string SegmentPath(long address) => Path.Combine(_hlogDirectory, "hlog.log." + (address >> _segmentBits).ToString(System.Globalization.CultureInfo.InvariantCulture));

    private long Offset(long address) => address & ((1L << _segmentBits) - 1);

    private List<string> CheckpointFiles(Guid token)
    {
        var files = new List<string>();
        foreach (var kind in new[] { "index-checkpoints", "cpr-checkpoints" })
        {
            var folder = Path.Combine(_checkpointDirectory, kind, token.ToString());
            if (!Directory.Exists(folder))
                continue;
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                files.Add(Path.GetRelativePath(_checkpointDirectory, file));
        }
        return files.Count > 0 ? files : throw new IOException($"checkpoint {token} has no files under {_checkpointDirectory}");
    }

    private string PathOf(Guid token) => Path.Combine(Folder, token + ".crc");
}

using System.Globalization;
using System.Text;
using HierTcn.Formats;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// CRC-32C and length of every file of a completed checkpoint (its index checkpoint and its log checkpoint
/// metadata), in <c>checkpoints/checksums/TOKEN</c>: lines "store-log-file NAME LENGTH", lines "relative-path length
/// crc", then "end crc-of-the-lines".
/// FASTER writes these files once, while the checkpoint is taken, and never again (unlike the store log, whose pages
/// it rewrites, which is why the store log is not covered here: its records carry their own checksums). A missing
/// list (a kill between the checkpoint and the list) leaves the checkpoint unverified, not unusable.
/// </summary>
internal static class CheckpointChecksums
{
    private const string StoreLogFile = "store-log-file";
    private static readonly string[] Kinds = ["index-checkpoints", "cpr-checkpoints"];

    /// <summary>Lists the files of checkpoint <paramref name="token"/>, and the length of every store log segment
    /// file in <paramref name="hlogDirectory"/>: FASTER only appends to them (or deletes whole ones below the log's
    /// begin), so a shorter one later is a cut one.</summary>
    public static void Write(string checkpointDirectory, Guid token, string hlogDirectory)
    {
        var text = new StringBuilder();
        foreach (var segment in Directory.EnumerateFiles(hlogDirectory, "hlog.log.*").Order(StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"{StoreLogFile} {Path.GetFileName(segment)} {new FileInfo(segment).Length}\n");
        foreach (var file in FilesOf(checkpointDirectory, token))
        {
            var (length, crc) = FileCrc(file);
            text.Append(CultureInfo.InvariantCulture, $"{Path.GetRelativePath(checkpointDirectory, file).Replace('\\', '/')} {length} {crc:x8}\n");
        }
        uint listCrc = Crc32C.Compute(Encoding.UTF8.GetBytes(text.ToString()));
        text.Append(CultureInfo.InvariantCulture, $"end {listCrc:x8}\n");
        var folder = Path.Combine(checkpointDirectory, "checksums");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, token.ToString());
        File.WriteAllText(path + ".tmp", text.ToString());
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Null when every file matches and no store log segment in <paramref name="hlogDirectory"/> is shorter
    /// than it was (or there is no list: <paramref name="listed"/> false); otherwise what does not.</summary>
    public static string? Verify(string checkpointDirectory, Guid token, string hlogDirectory, out bool listed)
    {
        var path = Path.Combine(checkpointDirectory, "checksums", token.ToString());
        listed = File.Exists(path);
        if (!listed)
            return null;
        var text = File.ReadAllText(path);
        int end = text.LastIndexOf("end ", StringComparison.Ordinal);
        if (end < 0 || (end > 0 && text[end - 1] != '\n')
            || !uint.TryParse(text.AsSpan(end + 4).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint listCrc)
            || listCrc != Crc32C.Compute(Encoding.UTF8.GetBytes(text[..end])))
            return $"its checksum list {path} is damaged";
        foreach (var line in text[..end].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 3 && parts[0] == StoreLogFile && long.TryParse(parts[2], CultureInfo.InvariantCulture, out long written))
            {
                var segment = new FileInfo(Path.Combine(hlogDirectory, Path.GetFileName(parts[1])));
                long length = segment.Exists ? segment.Length : -1;
                if (length < written)
                    return length < 0 ? $"the store log file {segment.Name} is missing" : $"the store log file {segment.Name} is {length} bytes, shorter than the {written} it had (cut)";
                continue;
            }
            if (parts.Length != 3)
                return $"its checksum list {path} is malformed";
            var file = Path.Combine(checkpointDirectory, parts[0]);
            if (!File.Exists(file))
                return $"{parts[0]} is missing";
            var (fileLength, crc) = FileCrc(file);
            if (fileLength.ToString(CultureInfo.InvariantCulture) != parts[1])
                return $"{parts[0]} is {fileLength} bytes, {parts[1]} were written";
            if (crc.ToString("x8", CultureInfo.InvariantCulture) != parts[2])
                return $"{parts[0]} fails its checksum";
        }
        return null;
    }

    public static void Delete(string checkpointDirectory, Guid token)
    {
        var path = Path.Combine(checkpointDirectory, "checksums", token.ToString());
        if (File.Exists(path))
            File.Delete(path);
    }

    /// <summary>Tokens that have a list.</summary>
    public static IEnumerable<Guid> Listed(string checkpointDirectory)
    {
        var folder = Path.Combine(checkpointDirectory, "checksums");
        if (!Directory.Exists(folder))
            yield break;
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (Guid.TryParse(Path.GetFileName(file), out var token))
                yield return token;
        }
    }

    /// <summary>Length and CRC-32C of a file, read through one pooled 1 MiB buffer: the index checkpoint is tens of
    /// MB (64 MiB at the default 2^20 buckets), and reading it whole put that much on the large-object heap every
    /// checkpoint, a garbage-collection pause in a serving process (bench/RESULTS.md, issue 11).</summary>
    private static (long Length, uint Crc) FileCrc(string file)
    {
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            uint running = Crc32C.Start;
            long length = 0;
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                running = Crc32C.Append(running, buffer.AsSpan(0, read));
                length += read;
            }
            return (length, Crc32C.Finish(running));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static IEnumerable<string> FilesOf(string checkpointDirectory, Guid token)
    {
        foreach (var kind in Kinds)
        {
            var folder = Path.Combine(checkpointDirectory, kind, token.ToString());
            if (Directory.Exists(folder))
            {
                foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                    yield return file;
            }
        }
    }
}

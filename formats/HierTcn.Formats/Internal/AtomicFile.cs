using System.Runtime.InteropServices;

namespace HierTcn.Formats.Internal;

/// <summary>Durable, atomic publication: write a temporary file in the target's directory, fsync it, rename it
/// over the target, fsync the directory, so a reader sees the old file or the whole new one, never a part.</summary>
internal static partial class AtomicFile
{
    private const int ReadOnlyDirectoryFlags = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    public static string TempPath(string target) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target))!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");

    public static void WriteAllBytes(string target, ReadOnlySpan<byte> bytes)
    {
        string temp = TempPath(target);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            Publish(temp, target);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Renames a written and flushed <paramref name="temp"/> over <paramref name="target"/> and makes the
    /// rename durable.</summary>
    public static void Publish(string temp, string target)
    {
        File.Move(temp, target, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
    }

    /// <summary>Flushes a directory's entries (renames, creations) to disk; a no-op where the OS has no such call.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        int fd = Open(directory, ReadOnlyDirectoryFlags);
        if (fd < 0)
        {
            return;
        }
        _ = Fsync(fd);
        _ = Close(fd);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}

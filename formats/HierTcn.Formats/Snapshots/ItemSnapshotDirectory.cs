using System.Text;
using HierTcn.Formats.Internal;

namespace HierTcn.Formats.Snapshots;

/// <summary>
/// A directory of snapshot versions (<c>VERSION.snap</c>) and a <see cref="ItemSnapshotFile.CurrentPointer"/> file
/// naming the current one. Publishing writes the new file completely (fsync, rename) before it switches the pointer
/// (write, fsync, rename), so a reader that follows the pointer never sees a partial file.
/// </summary>
public static class ItemSnapshotDirectory
{
    /// <summary>Writes snapshot <paramref name="version"/> and makes it current; returns its path.</summary>
    /// <exception cref="ArgumentException">Bad version name or data (see <see cref="ItemSnapshotWriter.Write"/>).</exception>
    public static string Publish(string directory, string version, ReadOnlySpan<long> ids, ReadOnlySpan<float> matrix, int dimension,
        DateTimeOffset? created = null)
    {
        string path = PathOf(directory, version);
        Directory.CreateDirectory(directory);
        ItemSnapshotWriter.Write(path, ids, matrix, dimension, created);
        SetCurrent(directory, version);
        return path;
    }

    /// <summary>The file of <paramref name="version"/> inside <paramref name="directory"/>.</summary>
    public static string PathOf(string directory, string version)
    {
        ValidateVersion(version);
        return Path.Combine(directory, version + ItemSnapshotFile.Extension);
    }

    /// <summary>Atomically points <see cref="ItemSnapshotFile.CurrentPointer"/> at an existing version.</summary>
    public static void SetCurrent(string directory, string version)
    {
        string path = PathOf(directory, version);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: cannot make snapshot version {version} current: no such file", path);
        }
        AtomicFile.WriteAllBytes(Path.Combine(directory, ItemSnapshotFile.CurrentPointer),
            Encoding.UTF8.GetBytes(Path.GetFileName(path) + "\n"));
    }

    /// <summary>The path of the current snapshot.</summary>
    /// <exception cref="InvalidDataException">The pointer is missing, malformed or names a missing file.</exception>
    public static string ResolveCurrent(string directory)
    {
        string pointer = Path.Combine(directory, ItemSnapshotFile.CurrentPointer);
        if (!File.Exists(pointer))
        {
            throw new InvalidDataException($"{pointer}: no current-snapshot pointer (publish a snapshot first)");
        }
        string name = File.ReadAllText(pointer).Trim();
        if (name.Length == 0 || name.IndexOfAny(['/', '\\']) >= 0 || !name.EndsWith(ItemSnapshotFile.Extension, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{pointer}: expected one file name ending in {ItemSnapshotFile.Extension}, found \"{name}\"");
        }
        string path = Path.Combine(directory, name);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{pointer}: names {name}, which does not exist in {directory}");
        }
        return path;
    }

    internal static void ValidateVersion(string version)
    {
        if (string.IsNullOrEmpty(version) || version.Length > 128
            || !version.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || version.StartsWith('.'))
        {
            throw new ArgumentException($"version \"{version}\" must be 1-128 characters of A-Z a-z 0-9 - _ . and not start with a dot");
        }
    }
}

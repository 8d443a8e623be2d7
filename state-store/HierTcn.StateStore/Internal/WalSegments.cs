using System.Globalization;

namespace HierTcn.StateStore.Internal;

/// <summary>The WAL's segment files: <c>wal/NNNNNNNN.wal</c>, segment N holding addresses [N*S, (N+1)*S) for the
/// segment size S. A frame never crosses a segment; a file is as long as the frames written into it.</summary>
internal static class WalSegments
{
    private const string Extension = ".wal";

    public static string PathOf(string directory, long index) => Path.Combine(directory, index.ToString("D8", CultureInfo.InvariantCulture) + Extension);

    /// <summary>The segment files present, by index.</summary>
    public static SortedDictionary<long, string> List(string directory)
    {
        var segments = new SortedDictionary<long, string>();
        if (!Directory.Exists(directory))
            return segments;
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out long index))
                segments[index] = path;
        }
        return segments;
    }
}

using System.Security.Cryptography;
using System.Text.Json;

namespace HierTcn.Data.Dataset;

/// <summary>Writes a prepared dataset atomically: each file goes to a temporary name in the target directory and is
/// renamed into place; the header goes last and the old header is removed first, so a reader sees either no dataset
/// or a complete one.</summary>
public static class DatasetWriter
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="arrays"/> and <paramref name="header"/> (its data sha256 filled in here) to
    /// <paramref name="directory"/>, creating it. Returns the header as written.</summary>
    public static DatasetHeader Write(string directory, DatasetHeader header, DatasetArrays arrays)
    {
        System.IO.Directory.CreateDirectory(directory);
        var sections = new List<(string, Array)>
        {
            (DatasetFile.ItemIds, arrays.ItemIds),
            (DatasetFile.UserIds, arrays.UserIds),
            (DatasetFile.UserSplit, arrays.UserSplit),
            (DatasetFile.UserSessions, arrays.UserSessions),
            (DatasetFile.SessionEvents, arrays.SessionEvents),
            (DatasetFile.EventItems, arrays.EventItems),
            (DatasetFile.EventTimestamps, arrays.EventTimestamps),
            (DatasetFile.EventSplit, arrays.EventSplit),
        };
        if (arrays.ImpressionOffsets is not null && arrays.ImpressionItems is not null)
        {
            sections.Add((DatasetFile.ImpressionOffsets, arrays.ImpressionOffsets));
            sections.Add((DatasetFile.ImpressionItems, arrays.ImpressionItems));
        }
        bool hasImpressions = arrays.ImpressionOffsets is not null && arrays.ImpressionItems is not null;
        if (arrays.ItemFeatures is not null)
        {
            if (arrays.ItemFeatureDim <= 0 || arrays.ItemFeatures.LongLength != (long)arrays.ItemIds.Length * arrays.ItemFeatureDim)
            {
                throw new ArgumentException($"item features: {arrays.ItemFeatures.LongLength} floats, expected {arrays.ItemIds.Length} items x dim {arrays.ItemFeatureDim}");
            }
            sections.Add((DatasetFile.ItemFeatures, arrays.ItemFeatures));
        }

        string suffix = $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        string dataPath = Path.Combine(directory, DatasetFile.FileName);
        string headerPath = Path.Combine(directory, DatasetHeader.FileName);
        string dataTmp = dataPath + suffix;
        string headerTmp = headerPath + suffix;
        try
        {
            DatasetFile.Write(dataTmp, sections);
            string sha;
            using (var s = File.OpenRead(dataTmp))
            {
                sha = Convert.ToHexStringLower(SHA256.HashData(s));
            }
            var written = header with
            {
                DataFile = DatasetFile.FileName,
                DataSha256 = sha,
                HasImpressions = hasImpressions,
                ItemFeatureDim = arrays.ItemFeatures is null ? 0 : arrays.ItemFeatureDim
            };
            using (var hs = new FileStream(headerTmp, FileMode.CreateNew, FileAccess.Write))
            {
                JsonSerializer.Serialize(hs, written, s_json);
                hs.Flush(flushToDisk: true);
            }
            File.Delete(headerPath);
            File.Move(dataTmp, dataPath, overwrite: true);
            File.Move(headerTmp, headerPath, overwrite: true);
            return written;
        }
        finally
        {
            File.Delete(dataTmp);
            File.Delete(headerTmp);
        }
    }
}

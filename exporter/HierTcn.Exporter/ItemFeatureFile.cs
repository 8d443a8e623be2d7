using System.Globalization;
using System.IO.Compression;

namespace HierTcn.Exporter;

/// <summary>
/// An item feature file (the Pinterest setting: vectors from an external item model), the format
/// <c>hiertcn prepare --items</c> reads: one item per line, <c>item_id,f0,..,f{d-1}</c>, comma- or tab-separated,
/// an optional header line, plain or gzip.
/// </summary>
public static class ItemFeatureFile
{
    /// <summary>Reads every item: external ids in file order and the row-major N x d matrix.</summary>
    /// <exception cref="InvalidDataException">A malformed line; the message names the file, the line and the problem.</exception>
    public static (long[] Ids, float[] Matrix, int Dimension) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: item feature file not found", path);
        }
        using var raw = File.OpenRead(path);
        bool gzip = raw.Length >= 2 && raw.ReadByte() == 0x1f && raw.ReadByte() == 0x8b;
        raw.Position = 0;
        using var reader = new StreamReader(gzip ? new GZipStream(raw, CompressionMode.Decompress) : raw);
        var ids = new List<long>();
        var values = new List<float>();
        var seen = new HashSet<long>();
        int dim = -1;
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            char separator = line.Contains('\t') ? '\t' : ',';
            string[] fields = line.Split(separator);
            if (!long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long id))
            {
                if (ids.Count == 0 && lineNumber == 1)
                {
                    continue; // header
                }
                throw new InvalidDataException($"{path}:{lineNumber}: item id \"{fields[0]}\" is not an integer");
            }
            if (dim < 0)
            {
                dim = fields.Length - 1;
                if (dim < 1)
                {
                    throw new InvalidDataException($"{path}:{lineNumber}: no feature values after the item id");
                }
            }
            if (fields.Length - 1 != dim)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: {fields.Length - 1} feature values, earlier lines have {dim}");
            }
            if (!seen.Add(id))
            {
                throw new InvalidDataException($"{path}:{lineNumber}: item id {id} appears twice");
            }
            for (int i = 1; i < fields.Length; i++)
            {
                if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                {
                    throw new InvalidDataException($"{path}:{lineNumber}: feature {i - 1} \"{fields[i]}\" is not a finite number");
                }
                values.Add(v);
            }
            ids.Add(id);
        }
        if (ids.Count == 0)
        {
            throw new InvalidDataException($"{path}: no items");
        }
        return (ids.ToArray(), values.ToArray(), dim);
    }
}

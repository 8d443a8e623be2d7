using System.Globalization;
using HierTcn.Data.Ingest.Internal;
using Sylvan.Data.Csv;

namespace HierTcn.Data.Preparation.Internal;

/// <summary>Reads an item feature file (<c>item_id,f0..f{d-1}</c>, CSV/TSV, plain or gzip, or Parquet) for the
/// catalogue's items. Strict: any bad row, a duplicate item, or a catalogue item without a row is an error naming the
/// file and line (Parquet: row). Rows of items outside the catalogue are skipped unread past their id.</summary>
internal static class ItemFeatureReader
{
    public static (float[] Features, int Dim) Read(string path, string itemColumn, IReadOnlyDictionary<long, int> denseIds, IProgress<double>? progress)
    {
        InputFile.CheckReadable(path, "item feature file");
        if (ParquetEventReader.IsParquet(path))
        {
            return ParquetItemFeatureReader.Read(path, itemColumn, denseIds, progress);
        }
        bool gzip = InputFile.IsGzip(path);
        var (delimiter, header) = InputFile.SniffDelimiter(path, gzip);
        if (string.IsNullOrWhiteSpace(header))
        {
            throw new UserInputException($"{path}: the item feature file is empty (expected a header '{itemColumn},f0,f1,...')");
        }
        var file = File.OpenRead(path);
        long length = file.Length;
        using var text = InputFile.OpenText(file, gzip);
        using var csv = CsvDataReader.Create(text, new CsvDataReaderOptions { HasHeaders = true, Delimiter = delimiter, BufferSize = 1 << 20 });
        var names = Enumerable.Range(0, csv.FieldCount).Select(i => csv.GetName(i).Trim()).ToList();
        int idColumn = names.FindIndex(n => string.Equals(n, itemColumn, StringComparison.OrdinalIgnoreCase));
        var featureColumns = new List<int>();
        while (names.FindIndex(n => n == $"f{featureColumns.Count}") is int c and >= 0)
        {
            featureColumns.Add(c);
        }
        if (idColumn < 0 || featureColumns.Count == 0)
        {
            throw new UserInputException($"{path}: expected columns {itemColumn}, f0, f1, ... ; found {string.Join(", ", names.Select(n => $"'{n}'"))}");
        }
        int d = featureColumns.Count;
        int needed = Math.Max(idColumn, featureColumns.Max()) + 1;
        var features = new float[(long)denseIds.Count * d];
        var seen = new bool[denseIds.Count];
        long line = 1;
        try
        {
            while (csv.Read())
            {
                line++;
                if (csv.RowFieldCount < needed)
                {
                    throw new UserInputException($"{path}: line {line}: {csv.RowFieldCount} fields, expected {needed}");
                }
                var idField = csv.GetFieldSpan(idColumn).Trim();
                if (!long.TryParse(idField, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
                {
                    throw new UserInputException($"{path}: line {line}: {itemColumn} '{idField}' is not a non-negative integer");
                }
                if (!denseIds.TryGetValue(id, out int dense))
                {
                    continue;
                }
                if (seen[dense])
                {
                    throw new UserInputException($"{path}: line {line}: item {id} has a second row");
                }
                seen[dense] = true;
                var row = features.AsSpan((int)((long)dense * d), d);
                for (int j = 0; j < d; j++)
                {
                    var f = csv.GetFieldSpan(featureColumns[j]).Trim();
                    if (!float.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out row[j]) || !float.IsFinite(row[j]))
                    {
                        throw new UserInputException($"{path}: line {line}: f{j} '{f}' is not a finite number");
                    }
                }
                if ((line & 0xFFFF) == 0)
                {
                    progress?.Report(length == 0 ? 0 : (double)file.Position / length);
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new UserInputException($"{path}: corrupt or truncated data after line {line} ({e.Message})", e);
        }
        catch (CsvFormatException e)
        {
            throw new UserInputException($"{path}: malformed CSV near line {line + 1} ({e.Message})", e);
        }
        CheckComplete(path, seen, denseIds);
        return (features, d);
    }

    /// <summary>Throws, naming a few, when a catalogue item got no row.</summary>
    internal static void CheckComplete(string path, bool[] seen, IReadOnlyDictionary<long, int> denseIds)
    {
        int missing = seen.Count(s => !s);
        if (missing > 0)
        {
            var examples = denseIds.Where(kv => !seen[kv.Value]).Take(5).Select(kv => kv.Key);
            throw new UserInputException($"{path}: no features for {missing} of the {seen.Length} catalogue items (e.g. items {string.Join(", ", examples)})");
        }
    }
}

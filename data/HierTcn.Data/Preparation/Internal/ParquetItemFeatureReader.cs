using System.Globalization;
using HierTcn.Data.Ingest.Internal;
using Parquet;
using Parquet.Schema;

namespace HierTcn.Data.Preparation.Internal;

/// <summary>
/// Reads an item feature file in Apache Parquet, one row group at a time, with the CSV reader's columns and rules: an
/// id column (integer or text) and float or double columns <c>f0..f{d-1}</c> (doubles rounded to float). A null or
/// bad id, a null or non-finite feature of a catalogue item, or a second row for an item is an error naming the row
/// (1-based); rows of items outside the catalogue are skipped, nulls and all.
/// </summary>
internal static class ParquetItemFeatureReader
{
    public static (float[] Features, int Dim) Read(string path, string itemColumn, IReadOnlyDictionary<long, int> denseIds, IProgress<double>? progress)
    {
        try
        {
            return ReadAsync(path, itemColumn, denseIds, progress).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException
            or ArgumentException or IndexOutOfRangeException)
        {
            throw new UserInputException($"{path}: not a readable Parquet file ({e.Message})", e);
        }
    }

    private static async Task<(float[], int)> ReadAsync(string path, string itemColumn, IReadOnlyDictionary<long, int> denseIds, IProgress<double>? progress)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        DataField? idField = fields.FirstOrDefault(f => string.Equals(f.Name.Trim(), itemColumn, StringComparison.OrdinalIgnoreCase));
        var featureFields = new List<DataField>();
        while (fields.FirstOrDefault(f => f.Name.Trim() == $"f{featureFields.Count}") is { } f)
        {
            featureFields.Add(f);
        }
        if (idField is null || featureFields.Count == 0)
        {
            throw new UserInputException($"{path}: expected columns {itemColumn}, f0, f1, ... ; found {string.Join(", ", fields.Take(20).Select(f => $"'{f.Name}'"))}");
        }
        int d = featureFields.Count;
        var features = new float[(long)denseIds.Count * d];
        var seen = new bool[denseIds.Count];
        long row = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int n = checked((int)group.RowCount);
            var ids = await ParquetEventReader.ReadColumn(group, idField, n, path);
            if (ids.Times is not null)
            {
                throw new UserInputException($"{path}: column '{idField.Name}' is a timestamp; expected an integer or text id column");
            }
            var columns = new float?[d][];
            for (int j = 0; j < d; j++)
            {
                columns[j] = await ReadFeatures(group, featureFields[j], n, path);
            }
            for (int i = 0; i < n; i++)
            {
                long r = row + i + 1;
                long id = Id(ids, i, r);
                if (!denseIds.TryGetValue(id, out int dense))
                {
                    continue;
                }
                if (seen[dense])
                {
                    throw new UserInputException($"{path}: row {r}: item {id} has a second row");
                }
                seen[dense] = true;
                var target = features.AsSpan((int)((long)dense * d), d);
                for (int j = 0; j < d; j++)
                {
                    if (columns[j][i] is not { } v)
                    {
                        throw new UserInputException($"{path}: row {r}: f{j} is null");
                    }
                    if (!float.IsFinite(v))
                    {
                        throw new UserInputException($"{path}: row {r}: f{j} {v.ToString(CultureInfo.InvariantCulture)} is not a finite number");
                    }
                    target[j] = v;
                }
            }
            row += n;
            progress?.Report((double)(g + 1) / reader.RowGroupCount);
        }

        long Id(ParquetEventReader.Column c, int i, long r)
        {
            if (c.Text is not null)
            {
                string? s = c.Text[i]?.Trim();
                if (string.IsNullOrEmpty(s))
                {
                    throw new UserInputException($"{path}: row {r}: {itemColumn} is empty");
                }
                if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed))
                {
                    throw new UserInputException($"{path}: row {r}: {itemColumn} '{(s.Length <= 32 ? s : s[..32] + "...")}' is not a non-negative integer");
                }
                return parsed;
            }
            return c.Ints[i] switch
            {
                null => throw new UserInputException($"{path}: row {r}: {itemColumn} is null"),
                < 0 and var v => throw new UserInputException($"{path}: row {r}: {itemColumn} '{v}' is not a non-negative integer"),
                { } v => v,
            };
        }

        if (row == 0)
        {
            throw new UserInputException($"{path}: the item feature file has no rows");
        }
        ItemFeatureReader.CheckComplete(path, seen, denseIds);
        return (features, d);
    }

    /// <summary>One row group's values of a float or double column (null where null).</summary>
    private static async Task<float?[]> ReadFeatures(ParquetRowGroupReader group, DataField field, int n, string path)
    {
        Type type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        var into = new float?[n];
        if (type == typeof(float))
        {
            await ReadInto<float>(group, field, into, v => v);
        }
        else if (type == typeof(double))
        {
            await ReadInto<double>(group, field, into, v => (float)v);
        }
        else
        {
            throw new UserInputException($"{path}: column '{field.Name}' is {type.Name}; expected a float or double feature column.");
        }
        return into;
    }

    private static async Task ReadInto<T>(ParquetRowGroupReader group, DataField field, float?[] into, Func<T, float> narrow)
        where T : struct
    {
        int n = into.Length;
        if (field.IsNullable)
        {
            var values = new T?[n];
            await group.ReadAsync<T>(field, values.AsMemory());
            for (int i = 0; i < n; i++)
            {
                into[i] = values[i] is { } v ? narrow(v) : null;
            }
        }
        else
        {
            var values = new T[n];
            await group.ReadAsync<T>(field, values.AsMemory());
            for (int i = 0; i < n; i++)
            {
                into[i] = narrow(values[i]);
            }
        }
    }
}

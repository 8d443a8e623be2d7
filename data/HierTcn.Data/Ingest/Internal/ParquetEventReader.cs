using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using HierTcn.Data.Dataset;
using Parquet;
using Parquet.Schema;

namespace HierTcn.Data.Ingest.Internal;

/// <summary>
/// Reads an events file in Apache Parquet, one row group at a time (memory: the kept rows' three columns plus one row
/// group's). Columns are found by name as in CSV; ids may be integer or text columns, timestamps integer (in the
/// options' unit, detected from the first row group when auto), text (integers or ISO-8601, as CSV) or Parquet
/// timestamps. Null fields and values out of range are bad rows, reported with their row number (1-based).
/// </summary>
internal static class ParquetEventReader
{
    public static bool IsParquet(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("PAR1"u8);
    }

    public static EventTable Read(string path, EventIngestOptions options, IProgress<double>? progress)
    {
        if (options.ImpressionsColumn is not null)
        {
            throw new UserInputException($"{path}: impressions columns are read from CSV/TSV only; drop --impressions-col or convert the file.");
        }
        var clock = Stopwatch.StartNew();
        long fileLength = new FileInfo(path).Length;
        string sha;
        using (var hashStream = File.OpenRead(path))
        {
            sha = Convert.ToHexStringLower(SHA256.HashData(hashStream));
        }
        try
        {
            return ReadAsync(path, options, progress, clock, fileLength, sha).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException
            or ArgumentException or IndexOutOfRangeException)
        {
            throw new UserInputException($"{path}: not a readable Parquet file ({e.Message})", e);
        }
    }

    private static async Task<EventTable> ReadAsync(string path, EventIngestOptions options, IProgress<double>? progress,
        Stopwatch clock, long fileLength, string sha)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        DataField Find(string name) => fields.FirstOrDefault(f => string.Equals(f.Name.Trim(), name, StringComparison.OrdinalIgnoreCase))
            ?? throw new UserInputException($"{path}: column '{name}' not found in the Parquet schema; found "
                + $"{string.Join(", ", fields.Take(20).Select(f => $"'{f.Name}'"))}. Map other names with --user-col, --item-col, --time-col.");
        DataField userField = Find(options.UserColumn);
        DataField itemField = Find(options.ItemColumn);
        DataField timeField = Find(options.TimeColumn);

        var users = new GrowableArray<long>(1 << 16);
        var items = new GrowableArray<long>(1 << 16);
        var times = new GrowableArray<long>(1 << 16);
        var examples = new List<string>();
        long bad = 0;
        long row = 0;
        bool detected = false;
        TimeUnit unit = options.TimeUnit;
        void Bad(long r, string problem)
        {
            if (options.OnBadRow == BadRowPolicy.Fail)
            {
                throw new UserInputException($"{path}: row {r}: {problem} (--on-bad-row fail)");
            }
            bad++;
            if (examples.Count < options.ReportedBadRows)
            {
                examples.Add($"row {r}: {problem}");
            }
        }

        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int n = checked((int)group.RowCount);
            var u = await ReadColumn(group, userField, n, path);
            var it = await ReadColumn(group, itemField, n, path);
            var t = await ReadColumn(group, timeField, n, path);
            if (unit == TimeUnit.Auto && t.Times is null && n > 0)
            {
                var samples = new List<(long, string)>();
                for (int i = 0; i < n && samples.Count < TimeUnitDetector.SampleRows; i++)
                {
                    string? raw = t.Text is not null ? t.Text[i] : t.Ints[i]?.ToString(CultureInfo.InvariantCulture);
                    if (raw is not null)
                    {
                        samples.Add((row + i + 1, raw));
                    }
                }
                if (samples.Count > 0)
                {
                    unit = TimeUnitDetector.Detect(samples, options.TimeColumn, path);
                    detected = true;
                }
            }
            for (int i = 0; i < n; i++)
            {
                long r = row + i + 1;
                if (!Id(u, i, options.UserColumn, r, out long user) || !Id(it, i, options.ItemColumn, r, out long item) || !Time(t, i, r, out long ms))
                {
                    continue;
                }
                users.Add(user);
                items.Add(item);
                times.Add(ms);
            }
            row += n;
            progress?.Report((double)(g + 1) / reader.RowGroupCount);
        }

        bool Id(Column c, int i, string column, long r, out long value)
        {
            value = 0;
            if (c.Text is not null)
            {
                string? s = c.Text[i]?.Trim();
                if (string.IsNullOrEmpty(s))
                {
                    Bad(r, $"{column} is empty");
                    return false;
                }
                if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
                {
                    Bad(r, $"{column} '{(s.Length <= 32 ? s : s[..32] + "...")}' is not an integer id");
                    return false;
                }
            }
            else if (c.Ints[i] is { } v)
            {
                value = v;
            }
            else
            {
                Bad(r, $"{column} is null");
                return false;
            }
            if (value < 0)
            {
                Bad(r, $"{column} {value} is negative");
                return false;
            }
            return true;
        }

        bool Time(Column c, int i, long r, out long ms)
        {
            ms = 0;
            string column = options.TimeColumn;
            if (c.Times is not null)
            {
                if (c.Times[i] is not { } dt)
                {
                    Bad(r, $"{column} is null");
                    return false;
                }
                ms = new DateTimeOffset(DateTime.SpecifyKind(dt, dt.Kind == DateTimeKind.Local ? DateTimeKind.Local : DateTimeKind.Utc)).ToUnixTimeMilliseconds();
            }
            else
            {
                string? raw = c.Text is not null ? c.Text[i]?.Trim() : c.Ints[i]?.ToString(CultureInfo.InvariantCulture);
                if (string.IsNullOrEmpty(raw))
                {
                    Bad(r, c.Text is null ? $"{column} is null" : $"{column} is empty");
                    return false;
                }
                if (unit == TimeUnit.Iso)
                {
                    if (!TimeUnitDetector.TryParseIso(raw, out ms))
                    {
                        Bad(r, $"{column} '{raw}' is not an ISO-8601 date-time");
                        return false;
                    }
                }
                else if (!long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
                {
                    Bad(r, $"{column} '{raw}' is not an integer");
                    return false;
                }
                else
                {
                    ms = TimeUnitDetector.ToMilliseconds(v, unit);
                }
            }
            if (ms < EventIngestOptions.MinTimestampMs || ms >= EventIngestOptions.MaxTimestampMs)
            {
                Bad(r, $"{column} is outside 1990-01-01..2100-01-01");
                return false;
            }
            return true;
        }

        if (row == 0)
        {
            throw new UserInputException($"{path}: no events (the Parquet file has no rows)");
        }
        if (users.Count == 0)
        {
            throw new UserInputException($"{path}: no valid events: all {row} rows are bad; first: {string.Join("; ", examples)}");
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var summary = new IngestSummary
        {
            RowsRead = row,
            BadRows = bad,
            RowsKept = users.Count,
            BadRowExamples = examples,
            Delimiter = "parquet",
            Gzip = false,
            TimeUnit = TimeUnitName(),
            TimeUnitDetected = detected,
            InputBytes = fileLength,
            Seconds = seconds,
            RowsPerSecond = seconds > 0 ? row / seconds : 0,
        };
        string TimeUnitName() => timeField.ClrType == typeof(DateTime) || timeField.ClrType == typeof(DateTimeOffset) ? "timestamp" : TimeUnitDetector.Name(unit);
        return new EventTable(users.Count, users.Buffer, items.Buffer, times.Buffer, null, null, 0, summary) { InputSha256 = sha };
    }

    /// <summary>One row group's values of a column: integers (null where null), text, or date-times.</summary>
    internal sealed record Column(long?[] Ints, string?[]? Text, DateTime?[]? Times);

    /// <summary>One row group's values of an integer, text or timestamp column; another type is a
    /// <see cref="UserInputException"/> naming the column.</summary>
    internal static async Task<Column> ReadColumn(ParquetRowGroupReader group, DataField field, int n, string path)
    {
        Type type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        if (type == typeof(string))
        {
            var text = new string?[n];
            await group.ReadAsync(field, text.AsMemory()!);
            return new Column([], text, null);
        }
        if (type == typeof(DateTime))
        {
            var dates = new DateTime?[n];
            if (field.IsNullable)
            {
                await group.ReadAsync<DateTime>(field, dates.AsMemory());
            }
            else
            {
                var plain = new DateTime[n];
                await group.ReadAsync<DateTime>(field, plain.AsMemory());
                for (int i = 0; i < n; i++)
                {
                    dates[i] = plain[i];
                }
            }
            return new Column([], null, dates);
        }
        var ints = new long?[n];
        if (type == typeof(long))
        {
            await ReadInto<long>(group, field, n, ints, v => v);
        }
        else if (type == typeof(int))
        {
            await ReadInto<int>(group, field, n, ints, v => v);
        }
        else if (type == typeof(short))
        {
            await ReadInto<short>(group, field, n, ints, v => v);
        }
        else if (type == typeof(uint))
        {
            await ReadInto<uint>(group, field, n, ints, v => v);
        }
        else
        {
            throw new UserInputException($"{path}: column '{field.Name}' is {type.Name}; expected an integer, text or timestamp column.");
        }
        return new Column(ints, null, null);
    }

    private static async Task ReadInto<T>(ParquetRowGroupReader group, DataField field, int n, long?[] into, Func<T, long> widen)
        where T : struct
    {
        if (field.IsNullable)
        {
            var values = new T?[n];
            await group.ReadAsync<T>(field, values.AsMemory());
            for (int i = 0; i < n; i++)
            {
                into[i] = values[i] is { } v ? widen(v) : null;
            }
        }
        else
        {
            var values = new T[n];
            await group.ReadAsync<T>(field, values.AsMemory());
            for (int i = 0; i < n; i++)
            {
                into[i] = widen(values[i]);
            }
        }
    }
}

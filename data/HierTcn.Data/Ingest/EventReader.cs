using System.Diagnostics;
using System.Globalization;
using HierTcn.Data.Dataset;
using HierTcn.Data.Ingest.Internal;
using Sylvan.Data.Csv;

namespace HierTcn.Data.Ingest;

/// <summary>
/// Reads an events file into an <see cref="EventTable"/>, streaming: each field is parsed from the CSV reader's
/// buffer straight into growable numeric columns, so a 100M-row file costs about 24 bytes a row (plus its
/// impressions), never a string per row. Rows stay in input order; duplicates are kept as separate events (the
/// protocol does not drop them); sorting is preparation's job.
/// </summary>
public static class EventReader
{
    private const int ProgressEveryRows = 1 << 16;

    /// <summary>
    /// Reads <paramref name="path"/>. <paramref name="progress"/>, when given, gets the share of the file's bytes read
    /// (0..1) now and then. Throws <see cref="UserInputException"/> (naming the file and, where there is one, the line)
    /// for a missing, empty or header-only file, a missing column, corrupt or truncated gzip, a file with no valid
    /// events, and, under <see cref="BadRowPolicy.Fail"/>, the first bad row.
    /// </summary>
    public static EventTable Read(string path, EventIngestOptions? options = null, IProgress<double>? progress = null)
    {
        options ??= new EventIngestOptions();
        var clock = Stopwatch.StartNew();
        InputFile.CheckReadable(path, "events file");
        if (ParquetEventReader.IsParquet(path))
        {
            return ParquetEventReader.Read(path, options, progress);
        }
        bool gzip = InputFile.IsGzip(path);
        if (!gzip && path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            throw new UserInputException($"{path}: the name ends in .gz but the file is not gzip (no gzip magic bytes)");
        }
        var (delimiter, headerLine) = InputFile.SniffDelimiter(path, gzip);
        if (string.IsNullOrWhiteSpace(headerLine))
        {
            throw new UserInputException($"{path}: the file is empty (no header line); expected a header such as "
                + $"'{options.UserColumn},{options.ItemColumn},{options.TimeColumn}' and events");
        }

        bool detected = options.TimeUnit == TimeUnit.Auto;
        if (detected)
        {
            var samples = SampleTimes(path, gzip, delimiter, options);
            // No data rows: the full read below says so.
            options = options with { TimeUnit = samples.Count == 0 ? TimeUnit.Milliseconds : TimeUnitDetector.Detect(samples, options.TimeColumn, path) };
        }

        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long fileLength = file.Length;
        using var hashing = new HashingReadStream(file);
        using var text = InputFile.OpenText(hashing, gzip);
        var csvOptions = new CsvDataReaderOptions { HasHeaders = true, Delimiter = delimiter, BufferSize = 1 << 16, OwnsReader = false };
        var state = new ReadState(options, path);
        long row = 0;
        try
        {
            using var csv = CsvDataReader.Create(text, csvOptions);
            var columns = Columns.Find(csv, path, options, delimiter);
            while (csv.Read())
            {
                row++;
                // One record a line is assumed for line numbers (quoted line breaks would shift them).
                state.ParseRow(csv, columns, row + 1);
                if ((row & (ProgressEveryRows - 1)) == 0)
                {
                    progress?.Report(fileLength == 0 ? 0 : (double)hashing.BytesRead / fileLength);
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new UserInputException($"{path}: corrupt or truncated {(gzip ? "gzip " : "")}data after line {row + 1} ({e.Message})", e);
        }
        catch (EndOfStreamException e)
        {
            throw new UserInputException($"{path}: truncated data after line {row + 1} ({e.Message})", e);
        }
        catch (CsvRecordTooLargeException e)
        {
            throw new UserInputException($"{path}: a record near line {row + 2} is longer than the reader's buffer; is the delimiter right ('{Escape(delimiter)}')?", e);
        }
        catch (CsvFormatException e)
        {
            throw new UserInputException($"{path}: malformed CSV near line {row + 2} ({e.Message})", e);
        }
        string sha = hashing.Finish();
        progress?.Report(1);

        if (row == 0)
        {
            throw new UserInputException($"{path}: no events (the file has a header line but no data rows)");
        }
        if (state.Kept == 0)
        {
            throw new UserInputException($"{path}: no valid events: all {row} rows are bad; first: {string.Join("; ", state.Examples)}");
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var summary = new IngestSummary
        {
            RowsRead = row,
            BadRows = state.Bad,
            RowsKept = state.Kept,
            BadRowExamples = state.Examples,
            Delimiter = delimiter.ToString(),
            Gzip = gzip,
            TimeUnit = TimeUnitDetector.Name(options.TimeUnit),
            TimeUnitDetected = detected,
            InputBytes = fileLength,
            ImpressionIds = state.ImpressionIds.Count,
            Seconds = seconds,
            RowsPerSecond = seconds > 0 ? row / seconds : 0,
        };
        return state.ToTable(summary, sha);
    }

    /// <summary>The raw time field of the first <see cref="TimeUnitDetector.SampleRows"/> rows, with line numbers.</summary>
    private static List<(long Line, string Value)> SampleTimes(string path, bool gzip, char delimiter, EventIngestOptions options)
    {
        var samples = new List<(long, string)>();
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var text = InputFile.OpenText(file, gzip);
            using var csv = CsvDataReader.Create(text, new CsvDataReaderOptions { HasHeaders = true, Delimiter = delimiter, OwnsReader = false });
            var columns = Columns.Find(csv, path, options, delimiter);
            long line = 1;
            while (samples.Count < TimeUnitDetector.SampleRows && csv.Read())
            {
                line++;
                if (csv.RowFieldCount > columns.Time)
                {
                    samples.Add((line, csv.GetString(columns.Time)));
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or CsvFormatException or CsvRecordTooLargeException)
        {
            // The full read below reports the damage with its line; detect from what was read before it.
        }
        return samples;
    }

    internal static string Escape(char c) => c == '\t' ? "\\t" : c.ToString();

    private readonly record struct Columns(int User, int Item, int Time, int Impressions, int Needed)
    {
        public static Columns Find(CsvDataReader csv, string path, EventIngestOptions options, char delimiter)
        {
            var found = new List<string>(csv.FieldCount);
            for (int i = 0; i < csv.FieldCount; i++)
            {
                found.Add(csv.GetName(i).Trim());
            }
            var wanted = new List<string> { options.UserColumn, options.ItemColumn, options.TimeColumn };
            if (options.ImpressionsColumn is not null)
            {
                wanted.Add(options.ImpressionsColumn);
            }
            var missing = wanted.Where(w => !found.Contains(w, StringComparer.OrdinalIgnoreCase)).ToList();
            if (missing.Count > 0)
            {
                throw new UserInputException(
                    $"{path}: column{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))} not found in the header; "
                    + $"expected {string.Join(", ", wanted)}; found {Found(found)} "
                    + $"(split at '{Escape(delimiter)}', sniffed from the header). "
                    + "Map other names with --user-col, --item-col, --time-col, --impressions-col.");
            }
            static string Found(List<string> names) =>
                string.Join(", ", names.Take(20).Select(n => $"'{(n.Length <= 40 ? n : n[..40] + "...")}'"))
                + (names.Count > 20 ? $" and {names.Count - 20} more" : "");
            int Index(string name) => found.FindIndex(f => string.Equals(f, name, StringComparison.OrdinalIgnoreCase));
            int user = Index(options.UserColumn), item = Index(options.ItemColumn), time = Index(options.TimeColumn);
            int imp = options.ImpressionsColumn is null ? -1 : Index(options.ImpressionsColumn);
            return new Columns(user, item, time, imp, Math.Max(Math.Max(user, item), Math.Max(time, imp)) + 1);
        }
    }

    /// <summary>The growing columns and the bad-row bookkeeping of one read.</summary>
    private sealed class ReadState(EventIngestOptions options, string path)
    {
        private GrowableArray<long> _users = new(1 << 16);
        private GrowableArray<long> _items = new(1 << 16);
        private GrowableArray<long> _times = new(1 << 16);
        private GrowableArray<long> _impOffsets = options.ImpressionsColumn is null ? default : new(1 << 16);
        private GrowableArray<long> _impItems = options.ImpressionsColumn is null ? default : new(1 << 18);

        public long Bad { get; private set; }
        public int Kept => _users.Count;
        public List<string> Examples { get; } = [];
        public GrowableArray<long> ImpressionIds => _impItems;

        public void ParseRow(CsvDataReader csv, Columns c, long line)
        {
            if (csv.RowFieldCount < c.Needed)
            {
                BadRow(line, $"{csv.RowFieldCount} fields, expected at least {c.Needed}");
                return;
            }
            if (!TryId(csv.GetFieldSpan(c.User), options.UserColumn, line, out long user)
                || !TryId(csv.GetFieldSpan(c.Item), options.ItemColumn, line, out long item)
                || !TryTime(csv.GetFieldSpan(c.Time), line, out long ts))
            {
                return;
            }
            if (c.Impressions >= 0)
            {
                if (_impOffsets.Count == 0)
                {
                    _impOffsets.Add(0);
                }
                int before = _impItems.Count;
                if (!TryImpressions(csv.GetFieldSpan(c.Impressions), line))
                {
                    _impItems.Truncate(before);
                    return;
                }
                _impOffsets.Add(_impItems.Count);
            }
            if (_users.Count == int.MaxValue - 1)
            {
                throw new UserInputException($"{path}: more than {int.MaxValue - 1} events; split the file");
            }
            _users.Add(user);
            _items.Add(item);
            _times.Add(ts);
        }

        public EventTable ToTable(IngestSummary summary, string sha)
        {
            long[]? impOffsets = null;
            long[]? impItems = null;
            if (options.ImpressionsColumn is not null)
            {
                if (_impOffsets.Count == 0)
                {
                    _impOffsets.Add(0);
                }
                impOffsets = _impOffsets.Buffer;
                impItems = _impItems.Buffer;
            }
            return new EventTable(_users.Count, _users.Buffer, _items.Buffer, _times.Buffer, impOffsets, impItems,
                _impItems.Count, summary)
            { InputSha256 = sha };
        }

        private bool TryId(ReadOnlySpan<char> field, string column, long line, out long value)
        {
            field = field.Trim();
            if (field.IsEmpty)
            {
                value = 0;
                BadRow(line, $"{column} is empty");
                return false;
            }
            if (!TryInteger(field, out value))
            {
                BadRow(line, $"{column} '{Clip(field)}' is not an integer id");
                return false;
            }
            if (value < 0)
            {
                BadRow(line, $"{column} {value} is negative");
                return false;
            }
            return true;
        }

        private bool TryTime(ReadOnlySpan<char> field, long line, out long value)
        {
            field = field.Trim();
            string unit = options.TimeUnit is TimeUnit.Seconds or TimeUnit.Microseconds ? TimeUnitDetector.Name(options.TimeUnit) : "ms";
            if (options.TimeUnit == TimeUnit.Iso)
            {
                if (!TimeUnitDetector.TryParseIso(field, out value))
                {
                    BadRow(line, field.IsEmpty ? $"{options.TimeColumn} is empty" : $"{options.TimeColumn} '{Clip(field)}' is not an ISO-8601 date-time");
                    return false;
                }
            }
            else
            {
                if (!TryInteger(field, out value))
                {
                    BadRow(line, field.IsEmpty ? $"{options.TimeColumn} is empty" : $"{options.TimeColumn} '{Clip(field)}' is not an integer ({unit} since the epoch)");
                    return false;
                }
                long raw = value;
                value = TimeUnitDetector.ToMilliseconds(raw, options.TimeUnit);
                if (value < EventIngestOptions.MinTimestampMs || value >= EventIngestOptions.MaxTimestampMs)
                {
                    BadRow(line, $"{options.TimeColumn} {raw} is outside 1990-01-01..2100-01-01 in {unit} since the epoch");
                    return false;
                }
                return true;
            }
            if (value < EventIngestOptions.MinTimestampMs || value >= EventIngestOptions.MaxTimestampMs)
            {
                BadRow(line, $"{options.TimeColumn} '{Clip(field)}' is outside 1990-01-01..2100-01-01");
                return false;
            }
            return true;
        }

        private bool TryImpressions(ReadOnlySpan<char> field, long line)
        {
            foreach (var range in field.SplitAny(' ', '\t'))
            {
                var token = field[range];
                if (token.IsEmpty)
                {
                    continue;
                }
                if (!long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
                {
                    BadRow(line, $"{options.ImpressionsColumn} holds '{Clip(token)}', not a non-negative integer item id");
                    return false;
                }
                _impItems.Add(id);
            }
            return true;
        }

        private void BadRow(long line, string problem)
        {
            if (options.OnBadRow == BadRowPolicy.Fail)
            {
                throw new UserInputException($"{path}: line {line}: {problem} (--on-bad-row fail)");
            }
            Bad++;
            if (Examples.Count < options.ReportedBadRows)
            {
                Examples.Add($"line {line}: {problem}");
            }
        }

        /// <summary>An integer, or a decimal with a zero fraction ("157541.0", as float columns get written) below
        /// 2^53, where doubles are exact.</summary>
        private static bool TryInteger(ReadOnlySpan<char> field, out long value)
        {
            if (long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            {
                return true;
            }
            if (field.Contains('.') && double.TryParse(field, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
                    CultureInfo.InvariantCulture, out double d) && Math.Abs(d) < 9007199254740992.0 && d == Math.Floor(d))
            {
                value = (long)d;
                return true;
            }
            value = 0;
            return false;
        }

        private static string Clip(ReadOnlySpan<char> s) => s.Length <= 40 ? s.ToString() : s[..40].ToString() + "...";
    }
}

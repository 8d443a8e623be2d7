using System.Globalization;

namespace HierTcn.Data.Ingest;

/// <summary>
/// Tells the unit of a timestamp column from sample values. The accepted range (1990-01-01 to 2100-01-01) does not
/// overlap between seconds (6.3e8..4.1e9), milliseconds (6.3e11..4.1e12) and microseconds (6.3e14..4.1e15), so each
/// integer names its unit; a value that parses as a date-time is ISO-8601. Values that fit no unit (bad rows) are
/// ignored; a column whose recognised values disagree is refused, as is one with none recognised.
/// </summary>
public static class TimeUnitDetector
{
    /// <summary>Rows read from the top of the file to decide.</summary>
    public const int SampleRows = 1000;

    /// <summary>The unit of <paramref name="samples"/> (line number and raw field); throws
    /// <see cref="UserInputException"/> naming <paramref name="column"/> when they are mixed or none is a timestamp.</summary>
    public static TimeUnit Detect(IReadOnlyList<(long Line, string Value)> samples, string column, string path)
    {
        var byUnit = new Dictionary<TimeUnit, List<(long Line, string Value)>>();
        foreach (var sample in samples)
        {
            if (Classify(sample.Value) is { } unit)
            {
                if (!byUnit.TryGetValue(unit, out var list))
                {
                    byUnit[unit] = list = [];
                }
                list.Add(sample);
            }
        }
        if (byUnit.Count == 1)
        {
            return byUnit.Keys.Single();
        }
        if (byUnit.Count == 0)
        {
            string first = string.Join(", ", samples.Take(3).Select(s => $"line {s.Line}: '{Clip(s.Value)}'"));
            throw new UserInputException($"{path}: cannot tell the unit of {column}: none of the first {samples.Count} values is a "
                + $"time between 1990 and 2100 in seconds, milliseconds or microseconds since the epoch, or ISO-8601 ({first}); "
                + "check --time-col, or give --time-unit s|ms|us|iso.");
        }
        string seen = string.Join("; ", byUnit.OrderByDescending(p => p.Value.Count).Select(p =>
            $"{p.Value.Count} look like {Name(p.Key)} (line {p.Value[0].Line}: '{Clip(p.Value[0].Value)}')"));
        throw new UserInputException($"{path}: {column} mixes units in its first {samples.Count} values: {seen}. "
            + "Fix the column, or give --time-unit s|ms|us|iso to read every value in one unit (the others become bad rows).");
    }

    /// <summary>The unit one raw value is written in, or null when it fits none.</summary>
    public static TimeUnit? Classify(string value)
    {
        var field = value.AsSpan().Trim();
        if (field.IsEmpty)
        {
            return null;
        }
        if (long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
            || (double.TryParse(field, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double d)
                && d == Math.Floor(d) && Math.Abs(d) < 9007199254740992.0 && (v = (long)d) == v))
        {
            const long min = EventIngestOptions.MinTimestampMs;
            const long max = EventIngestOptions.MaxTimestampMs;
            return v switch
            {
                >= min / 1000 and < max / 1000 => TimeUnit.Seconds,
                >= min and < max => TimeUnit.Milliseconds,
                >= min * 1000 and < max * 1000 => TimeUnit.Microseconds,
                _ => null,
            };
        }
        return TryParseIso(field, out long ms) && ms >= EventIngestOptions.MinTimestampMs && ms < EventIngestOptions.MaxTimestampMs
            ? TimeUnit.Iso : null;
    }

    /// <summary>An ISO-8601 date-time to ms since the epoch; no offset means UTC.</summary>
    public static bool TryParseIso(ReadOnlySpan<char> field, out long ms)
    {
        if (field.Length >= 10 && char.IsAsciiDigit(field[0]) && field[4] == '-'
            && DateTimeOffset.TryParse(field, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            ms = t.ToUnixTimeMilliseconds();
            return true;
        }
        ms = 0;
        return false;
    }

    /// <summary>An integer timestamp in <paramref name="unit"/> (seconds, milliseconds or microseconds) as ms since the
    /// epoch; long.MinValue (out of every accepted range) where seconds would overflow.</summary>
    public static long ToMilliseconds(long raw, TimeUnit unit) => unit switch
    {
        TimeUnit.Seconds when Math.Abs(raw) < long.MaxValue / 1000 => raw * 1000,
        TimeUnit.Seconds => long.MinValue,
        TimeUnit.Microseconds => raw / 1000,
        _ => raw,
    };

    /// <summary>The unit as the command line writes it.</summary>
    public static string Name(TimeUnit unit) => unit switch
    {
        TimeUnit.Seconds => "s",
        TimeUnit.Milliseconds => "ms",
        TimeUnit.Microseconds => "us",
        TimeUnit.Iso => "iso",
        _ => "auto",
    };

    private static string Clip(string s) => s.Length <= 32 ? s : s[..32] + "...";
}

namespace HierTcn.Data.Ingest;

/// <summary>
/// How to read an events file. The file is CSV or TSV with a header line, plain or gzip (detected by its magic bytes,
/// whatever its name); the delimiter is the header's (tab or comma, whichever it holds more of; a <c>.tsv</c> name
/// decides a tie). Columns are found by name (exact, case-insensitive, surrounding blanks ignored); every other column
/// is ignored. Ids are integers 0..2^63-1; timestamps (in <see cref="TimeUnit"/>) must fall between
/// <see cref="MinTimestampMs"/> (1990-01-01) inclusive and <see cref="MaxTimestampMs"/> (2100-01-01) exclusive. A
/// zero fraction (<c>42.0</c>, as float columns get written) is accepted below 2^53; any other fraction is a bad row.
/// </summary>
public sealed record EventIngestOptions
{
    /// <summary>Earliest accepted timestamp: 1990-01-01T00:00:00Z in ms. Earlier ones (seconds instead of ms, zeros)
    /// are bad rows.</summary>
    public const long MinTimestampMs = 631_152_000_000;

    /// <summary>First rejected timestamp: 2100-01-01T00:00:00Z in ms (microseconds instead of ms land beyond it).</summary>
    public const long MaxTimestampMs = 4_102_444_800_000;

    /// <summary>User id column. Default <c>user_id</c>.</summary>
    public string UserColumn { get; init; } = "user_id";

    /// <summary>Item id column. Default <c>item_id</c>.</summary>
    public string ItemColumn { get; init; } = "item_id";

    /// <summary>Timestamp column. Default <c>timestamp_ms</c>.</summary>
    public string TimeColumn { get; init; } = "timestamp_ms";

    /// <summary>How <see cref="TimeColumn"/> is written; converted to ms since the epoch. Default
    /// <see cref="TimeUnit.Auto"/>: detected from the first <see cref="TimeUnitDetector.SampleRows"/> rows.</summary>
    public TimeUnit TimeUnit { get; init; } = TimeUnit.Auto;

    /// <summary>Optional column of the items shown with each event, as item ids separated by spaces (an empty field
    /// means none were recorded). Null (the default) reads no impressions. When set, the column must exist.</summary>
    public string? ImpressionsColumn { get; init; }

    /// <summary>What to do with a bad row. Default <see cref="BadRowPolicy.Skip"/>.</summary>
    public BadRowPolicy OnBadRow { get; init; } = BadRowPolicy.Skip;

    /// <summary>How many bad rows are described in <see cref="Dataset.IngestSummary.BadRowExamples"/>. Default 5.</summary>
    public int ReportedBadRows { get; init; } = 5;
}

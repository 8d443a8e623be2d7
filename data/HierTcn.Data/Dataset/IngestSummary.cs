using System.Text.Json.Serialization;

namespace HierTcn.Data.Dataset;

/// <summary>What ingest saw in the input file.</summary>
public sealed record IngestSummary
{
    /// <summary>Data rows read (the header not counted).</summary>
    [JsonPropertyName("rows_read")] public long RowsRead { get; init; }
    [JsonPropertyName("bad_rows")] public long BadRows { get; init; }
    [JsonPropertyName("rows_kept")] public long RowsKept { get; init; }
    /// <summary>The first bad rows, each as "line L: problem".</summary>
    [JsonPropertyName("bad_row_examples")] public List<string> BadRowExamples { get; init; } = [];
    /// <summary>"," or "\t".</summary>
    [JsonPropertyName("delimiter")] public string Delimiter { get; init; } = ",";
    [JsonPropertyName("gzip")] public bool Gzip { get; init; }
    /// <summary>The timestamp unit read ("s", "ms", "us" or "iso").</summary>
    [JsonPropertyName("time_unit")] public string TimeUnit { get; init; } = "ms";
    /// <summary>Whether <see cref="TimeUnit"/> was detected from the first rows (no unit given).</summary>
    [JsonPropertyName("time_unit_detected")] public bool TimeUnitDetected { get; init; }
    /// <summary>Size of the file as stored.</summary>
    [JsonPropertyName("input_bytes")] public long InputBytes { get; init; }
    /// <summary>Impression ids read over all kept rows (0 without an impressions column).</summary>
    [JsonPropertyName("impression_ids")] public long ImpressionIds { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    [JsonPropertyName("rows_per_second")] public double RowsPerSecond { get; init; }
}

using System.Text.Json.Serialization;
using HierTcn.Formats;

namespace HierTcn.Data.Dataset;

/// <summary>
/// The small JSON file (<c>header.json</c>) beside a prepared dataset's arrays: what was prepared, from what, how,
/// and the counts. Written last, so a directory with a header holds a complete dataset.
/// </summary>
public sealed record DatasetHeader
{
    public const string FileName = "header.json";
    public const string CurrentFormat = "hiertcn-dataset";
    public const int CurrentFormatVersion = 1;

    [JsonPropertyName("format")] public string Format { get; init; } = CurrentFormat;
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentFormatVersion;
    [JsonPropertyName("protocol")] public string Protocol { get; init; } = "v1";
    /// <summary>A short name for reports, by default the input file's name.</summary>
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("input_path")] public string InputPath { get; init; } = "";
    /// <summary>sha256 of the input file's bytes as stored (compressed when the input is gzip).</summary>
    [JsonPropertyName("input_sha256")] public string InputSha256 { get; init; } = "";
    /// <summary>"cold", "warm" or "score".</summary>
    [JsonPropertyName("split")] public string Split { get; init; } = "cold";
    /// <summary>For a "score" dataset: the prepared dataset whose catalogue it uses (its input sha256).</summary>
    [JsonPropertyName("catalog_from_sha256")] public string? CatalogFromSha256 { get; init; }
    [JsonPropertyName("session_gap_ms")] public long SessionGapMs { get; init; } = SessionRule.DefaultGapMs;
    [JsonPropertyName("min_item_events")] public int MinItemEvents { get; init; } = 50;
    [JsonPropertyName("min_user_events")] public int MinUserEvents { get; init; } = 10;
    [JsonPropertyName("max_user_events")] public int MaxUserEvents { get; init; } = 1000;
    /// <summary>Warm split only: the 80th and 90th percentile timestamps.</summary>
    [JsonPropertyName("t1_ms")] public long? T1Ms { get; init; }
    [JsonPropertyName("t2_ms")] public long? T2Ms { get; init; }
    [JsonPropertyName("has_impressions")] public bool HasImpressions { get; init; }
    /// <summary>Length d of each item's feature vector in the <c>item_features</c> section; 0 without features.</summary>
    [JsonPropertyName("item_feature_dim")] public int ItemFeatureDim { get; init; }
    /// <summary>Counts after filtering over all splits; <see cref="DatasetCounts.Items"/> is the catalogue size N.</summary>
    [JsonPropertyName("counts")] public DatasetCounts Counts { get; init; } = new();
    /// <summary>Counts per split ("train", "validation", "test"). A warm-split session counts where its first event falls.</summary>
    [JsonPropertyName("split_counts")] public Dictionary<string, DatasetCounts> SplitCounts { get; init; } = [];
    /// <summary>What ingest read and skipped.</summary>
    [JsonPropertyName("ingest")] public IngestSummary Ingest { get; init; } = new();
    [JsonPropertyName("data_file")] public string DataFile { get; init; } = DatasetFile.FileName;
    [JsonPropertyName("data_sha256")] public string DataSha256 { get; init; } = "";
    [JsonPropertyName("created_utc")] public DateTime CreatedUtc { get; init; }
    /// <summary>Wall time of the preparation from the start of ingest until the arrays are ready (writing excluded).</summary>
    [JsonPropertyName("prepare_seconds")] public double PrepareSeconds { get; init; }
    /// <summary>The preparing process's peak resident memory (bytes) when the arrays are ready.</summary>
    [JsonPropertyName("prepare_peak_memory_bytes")] public long PreparePeakMemoryBytes { get; init; }

    [JsonIgnore]
    public SplitKind SplitKind => Split switch
    {
        "cold" => SplitKind.Cold,
        "warm" => SplitKind.Warm,
        "score" => SplitKind.Score,
        _ => throw new InvalidDataException($"{FileName}: unknown split '{Split}' (expected cold, warm or score)."),
    };

    public static string SplitName(DataSplit split) => split switch
    {
        DataSplit.Train => "train",
        DataSplit.Validation => "validation",
        DataSplit.Test => "test",
        _ => throw new ArgumentOutOfRangeException(nameof(split)),
    };
}

using System.Text.Json.Serialization;

namespace HierTcn.Data.Synthetic;

/// <summary>What <see cref="SyntheticGenerator"/> wrote (also written as <c>synthetic.json</c> beside the data).</summary>
public sealed record SyntheticSummary
{
    public const string FileName = "synthetic.json";
    public const string EventsFileName = "events.csv.gz";
    public const string ItemsFileName = "items.csv.gz";
    public const string PublishedFileName = "published.csv.gz";

    [JsonPropertyName("options")] public required SyntheticOptions Options { get; init; }
    [JsonPropertyName("events_path")] public required string EventsPath { get; init; }
    [JsonPropertyName("items_path")] public required string ItemsPath { get; init; }
    /// <summary>With new items: <c>published.csv.gz</c> (<c>item_id,published_ms</c>, every item; the start time for
    /// those that exist from the start). Null without new items.</summary>
    [JsonPropertyName("published_path")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PublishedPath { get; init; }
    [JsonPropertyName("events")] public long Events { get; init; }
    [JsonPropertyName("sessions")] public long Sessions { get; init; }
    [JsonPropertyName("impression_ids")] public long ImpressionIds { get; init; }
    /// <summary>Bytes of CSV text written to the events file before compression.</summary>
    [JsonPropertyName("events_text_bytes")] public long EventsTextBytes { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
}

using System.Text.Json.Serialization;

namespace HierTcn.Data.Dataset;

/// <summary>Counts over a set of events (after filtering).</summary>
public sealed record DatasetCounts
{
    [JsonPropertyName("users")] public long Users { get; init; }
    [JsonPropertyName("items")] public long Items { get; init; }
    [JsonPropertyName("events")] public long Events { get; init; }
    [JsonPropertyName("sessions")] public long Sessions { get; init; }
}

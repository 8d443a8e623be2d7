using System.Text.Json.Serialization;

namespace HierTcn.Data.Evaluation;

/// <summary>The four averages PROTOCOL.md section 8 reports: over events, over users, and over the events that open a
/// session versus those inside one.</summary>
public sealed record MetricGroups
{
    [JsonPropertyName("event")] public MetricSet Event { get; init; } = new();
    [JsonPropertyName("user")] public MetricSet User { get; init; } = new();
    [JsonPropertyName("new_session")] public MetricSet NewSession { get; init; } = new();
    [JsonPropertyName("within_session")] public MetricSet WithinSession { get; init; } = new();
}

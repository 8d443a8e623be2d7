using System.Text.Json.Serialization;

namespace HierTcn.Data.Evaluation;

/// <summary>The metrics of PROTOCOL.md section 7 over one group of scored events (or of users, for user averages).
/// With <see cref="N"/> = 0 every metric is 0.</summary>
public sealed record MetricSet
{
    [JsonPropertyName("recall@1")] public double Recall1 { get; init; }
    [JsonPropertyName("recall@5")] public double Recall5 { get; init; }
    [JsonPropertyName("recall@10")] public double Recall10 { get; init; }
    [JsonPropertyName("recall@20")] public double Recall20 { get; init; }
    [JsonPropertyName("mrr")] public double Mrr { get; init; }
    /// <summary>Mean of rank / N (lower is better); for pool metrics, rank / pool size.</summary>
    [JsonPropertyName("mrp")] public double Mrp { get; init; }
    /// <summary>Scored events, or users for the user average.</summary>
    [JsonPropertyName("n")] public long N { get; init; }

    /// <summary>Recall at <paramref name="k"/> for k in 1, 5, 10, 20.</summary>
    public double RecallAt(int k) => k switch
    {
        1 => Recall1,
        5 => Recall5,
        10 => Recall10,
        20 => Recall20,
        _ => throw new ArgumentOutOfRangeException(nameof(k), k, "recall is reported at 1, 5, 10 and 20"),
    };
}

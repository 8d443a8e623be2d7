using System.Text.Json.Serialization;

namespace HierTcn.Data.Experiments;

/// <summary>One arm of the report: its counters, Recall@10 (hits@10 over matched next events) and MRR (reciprocal
/// ranks summed over matched next events, 0 for an item not shown), each with its 95% interval.</summary>
public sealed record ArmSummary(
    [property: JsonPropertyName("counts")] ArmCounts Counts,
    [property: JsonPropertyName("recall@10")] Estimate Recall10,
    [property: JsonPropertyName("mrr")] Estimate Mrr)
{
    public static ArmSummary Of(ArmCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        return new(counts, AbStatistics.Proportion(counts.Hits10, counts.NextEvents),
            AbStatistics.Mean(counts.ReciprocalRankSum, counts.ReciprocalRankSquares, counts.NextEvents));
    }
}

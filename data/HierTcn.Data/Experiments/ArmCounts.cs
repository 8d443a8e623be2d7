using System.Text.Json.Serialization;

namespace HierTcn.Data.Experiments;

/// <summary>
/// One arm's online counters, summed over every pod scraped (<c>OnlineMetricNames</c> in formats/): users new to a
/// pod's remembered lists, recommendations remembered, next events matched to a list, hits at 1/5/10/20, and the
/// sums of reciprocal ranks and of their squares over the matched events; plus applied events that answered no list.
/// </summary>
public sealed record ArmCounts
{
    [JsonPropertyName("version")] public required string Version { get; init; }
    [JsonPropertyName("users")] public double Users { get; init; }
    [JsonPropertyName("recommendations")] public double Recommendations { get; init; }
    [JsonPropertyName("matched_next_events")] public double NextEvents { get; init; }
    [JsonPropertyName("unmatched_events")] public double UnmatchedEvents { get; init; }
    [JsonPropertyName("hits@1")] public double Hits1 { get; init; }
    [JsonPropertyName("hits@5")] public double Hits5 { get; init; }
    [JsonPropertyName("hits@10")] public double Hits10 { get; init; }
    [JsonPropertyName("hits@20")] public double Hits20 { get; init; }
    [JsonPropertyName("reciprocal_rank_sum")] public double ReciprocalRankSum { get; init; }
    [JsonPropertyName("reciprocal_rank_squares")] public double ReciprocalRankSquares { get; init; }

    /// <summary>The counters of two scrapes added (two pods, or two files).</summary>
    public ArmCounts Add(ArmCounts other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return this with
        {
            Users = Users + other.Users,
            Recommendations = Recommendations + other.Recommendations,
            NextEvents = NextEvents + other.NextEvents,
            UnmatchedEvents = UnmatchedEvents + other.UnmatchedEvents,
            Hits1 = Hits1 + other.Hits1,
            Hits5 = Hits5 + other.Hits5,
            Hits10 = Hits10 + other.Hits10,
            Hits20 = Hits20 + other.Hits20,
            ReciprocalRankSum = ReciprocalRankSum + other.ReciprocalRankSum,
            ReciprocalRankSquares = ReciprocalRankSquares + other.ReciprocalRankSquares,
        };
    }
}

namespace HierTcn.Formats;

/// <summary>
/// The Prometheus series of the online A/B metrics: the inference server writes them, <c>./hiertcn ab report</c>
/// reads them back from a scrape. Every series carries the label <see cref="VersionLabel"/>; counters add up across
/// pods, since each event is counted by the one pod that applied it.
/// </summary>
public static class OnlineMetricNames
{
    /// <summary>The label naming the model version (the arm).</summary>
    public const string VersionLabel = "model_version";

    /// <summary>The label of <see cref="Hits"/> naming the cut-off.</summary>
    public const string CutoffLabel = "k";

    /// <summary>Counter: sampled Recommend answers remembered as shown.</summary>
    public const string Lists = "hiertcn_inference_online_lists_total";

    /// <summary>Counter: sampled users new to a pod's remembered lists (a user served by two pods, or forgotten and
    /// back, counts again).</summary>
    public const string Users = "hiertcn_inference_online_users_total";

    /// <summary>Counter: next events matched to the list shown before them (the denominator of every rate).</summary>
    public const string NextEvents = "hiertcn_inference_online_next_events_total";

    /// <summary>Counter with <see cref="CutoffLabel"/> 1, 5, 10, 20: matched next events whose item was in the first
    /// k of the list.</summary>
    public const string Hits = "hiertcn_inference_online_hits_total";

    /// <summary>Histogram of the reciprocal rank of each matched next event (0 when its item was not in the list);
    /// its <c>_sum</c> over its <c>_count</c> is the MRR.</summary>
    public const string ReciprocalRank = "hiertcn_inference_online_reciprocal_rank";

    /// <summary>Counter: the sum of squared reciprocal ranks, for the MRR's variance.</summary>
    public const string ReciprocalRankSquares = "hiertcn_inference_online_reciprocal_rank_squares_total";

    /// <summary>Counter: applied events of sampled users that answer no list (none remembered in the pod, already
    /// answered, or shown more than the session gap away).</summary>
    public const string UnmatchedEvents = "hiertcn_inference_online_unmatched_events_total";

    /// <summary>The cut-offs of <see cref="Hits"/>.</summary>
    public static IReadOnlyList<int> Cutoffs { get; } = [1, 5, 10, 20];
}

namespace HierTcn.Inference.Online;

/// <summary>
/// Online quality per model version (inference/README.md, "Online metrics"): the top items each sampled Recommend
/// showed are remembered in this process, and the user's next applied event is ranked against them.
/// </summary>
public sealed class OnlineMetricsOptions
{
    /// <summary>Share of users measured, in [0, 1]; a user is in or out for good (a stable hash of the user id,
    /// independent of the A/B salt), so a list and the event after it are sampled together. Default 1; 0 turns
    /// the measurement off.</summary>
    public double SampleRate { get; set; } = 1;

    /// <summary>Users whose last list this process remembers at once; memory is fixed when the engine starts,
    /// about <c>Capacity x (8 x ListLength + 33)</c> bytes (19 MB at the defaults). When full, the oldest of the
    /// four lists in a slot group is overwritten. Default 100,000; 0 turns the measurement off.</summary>
    public int Capacity { get; set; } = 100_000;

    /// <summary>Items of each list remembered (hit@1/5/10/20 need 20). Default 20.</summary>
    public int ListLength { get; set; } = 20;

    /// <summary>True when lists are remembered at all.</summary>
    public bool Enabled => SampleRate > 0 && Capacity > 0;

    /// <summary>Every problem with these options; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (!(SampleRate >= 0 && SampleRate <= 1))
            yield return $"OnlineMetrics:SampleRate is {SampleRate}; allowed 0 to 1";
        if (Capacity < 0)
            yield return $"OnlineMetrics:Capacity is {Capacity}; 0 (off) or more";
        if (ListLength is < 1 or > 255)
            yield return $"OnlineMetrics:ListLength is {ListLength}; allowed 1 to 255";
        if ((long)Capacity * ListLength > Array.MaxLength)
            yield return $"OnlineMetrics: Capacity x ListLength is {(long)Capacity * ListLength}; at most {Array.MaxLength}";
    }
}

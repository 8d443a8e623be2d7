namespace HierTcn.Inference;

/// <summary>Result of <see cref="RecommenderEngine.RecommendAsync"/>: on <see cref="ServeStatus.Ok"/> the items
/// best first, and <see cref="UnknownCandidateItemIds"/> the candidate ids the snapshot does not have (skipped, each
/// once, in request order; null when none); otherwise <see cref="Error"/> says what was wrong.</summary>
public sealed record RecommendOutcome(ServeStatus Status, string? Error, IReadOnlyList<ItemScore> Items, string ModelVersion,
    bool UnknownUser, string SnapshotVersion, IReadOnlyList<long>? UnknownCandidateItemIds = null)
{
    /// <summary>True when the user's state could not be read (the store or its shard unreachable, refusing, or not
    /// answering within half the time left to the deadline): the answer is ranked from the model's start state, as
    /// for a cold start, rather than failing.</summary>
    public bool Degraded { get; init; }

    internal static RecommendOutcome Fail(ServeStatus status, string error, string version = "") => new(status, error, [], version, false, "");
}

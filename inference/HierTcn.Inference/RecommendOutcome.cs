namespace HierTcn.Inference;

/// <summary>Result of <see cref="RecommenderEngine.RecommendAsync"/>: on <see cref="ServeStatus.Ok"/> the items
/// best first; otherwise <see cref="Error"/> says what was wrong.</summary>
public sealed record RecommendOutcome(ServeStatus Status, string? Error, IReadOnlyList<ItemScore> Items, string ModelVersion,
    bool UnknownUser, string SnapshotVersion)
{
    internal static RecommendOutcome Fail(ServeStatus status, string error, string version = "") => new(status, error, [], version, false, "");
}

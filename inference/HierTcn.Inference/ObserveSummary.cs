namespace HierTcn.Inference;

/// <summary>What <see cref="RecommenderEngine.ObserveAsync"/> did: events applied, skipped as retries of applied
/// ones, dropped as late (older than the user's last applied event), and skipped because the item is not in the
/// catalogue. On a status other than <see cref="ServeStatus.Ok"/>, <see cref="Error"/> says why.</summary>
public sealed record ObserveSummary(ServeStatus Status, string? Error, int Applied, int Duplicates, int Late, int UnknownItems)
{
    internal static ObserveSummary Fail(ServeStatus status, string error) => new(status, error, 0, 0, 0, 0);
}

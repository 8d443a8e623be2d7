namespace HierTcn.Inference;

/// <summary>What <see cref="RecommenderEngine.CountClicks"/> did: clicks counted, skipped as already counted (the same
/// user and event id, applied here or sent before), and skipped as older than the kept clicks' retention. On a status
/// other than <see cref="ServeStatus.Ok"/>, <see cref="Error"/> says why and nothing was counted.</summary>
public sealed record CountClicksSummary(ServeStatus Status, string? Error, int Counted, int Duplicates, int TooOld)
{
    internal static CountClicksSummary Fail(ServeStatus status, string error) => new(status, error, 0, 0, 0);
}

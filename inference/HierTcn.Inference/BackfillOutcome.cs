namespace HierTcn.Inference;

/// <summary>Result of <see cref="RecommenderEngine.BackfillAsync"/>: users whose source state was copied, users with
/// no source state, users who already had a state under the target version (left alone). On a status other than
/// <see cref="ServeStatus.Ok"/>, <see cref="Error"/> names the users not backfilled and why; the counts say what was
/// done before, and a retry of the whole call is safe (users already copied count as present).</summary>
public sealed record BackfillOutcome(ServeStatus Status, string? Error, int Copied, int MissingSource, int AlreadyPresent);

namespace HierTcn.Inference;

/// <summary>What <see cref="RecommenderEngine.BackfillAsync"/> did: users whose source state was copied, users with
/// no source state, users who already had a state under the target version (left alone).</summary>
public sealed record BackfillReport(int Copied, int MissingSource, int AlreadyPresent);

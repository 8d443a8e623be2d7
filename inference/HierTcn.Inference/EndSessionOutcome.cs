namespace HierTcn.Inference;

/// <summary>Result of <see cref="RecommenderEngine.EndSessionAsync"/>: <see cref="Closed"/> is false when the user
/// had no open session.</summary>
public sealed record EndSessionOutcome(ServeStatus Status, string? Error, bool Closed, string ModelVersion);

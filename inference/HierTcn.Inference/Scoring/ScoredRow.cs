namespace HierTcn.Inference.Scoring;

/// <summary>An item row of the snapshot matrix and its score.</summary>
public readonly record struct ScoredRow(int Row, float Score);

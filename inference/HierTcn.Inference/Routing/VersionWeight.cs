namespace HierTcn.Inference.Routing;

/// <summary>One arm of an A/B split: a model version and its share of users (weights need not sum to 1; they are
/// normalised).</summary>
public readonly record struct VersionWeight(string Version, double Weight);

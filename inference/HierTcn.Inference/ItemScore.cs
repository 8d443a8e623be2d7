namespace HierTcn.Inference;

/// <summary>A recommended item (external id) and its score u . e_i (always finite).</summary>
public readonly record struct ItemScore(long ItemId, float Score);

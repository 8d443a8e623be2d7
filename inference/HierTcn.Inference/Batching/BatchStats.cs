namespace HierTcn.Inference.Batching;

/// <summary>What one batch did, for metrics.</summary>
/// <param name="Size">Requests computed.</param>
/// <param name="Expired">Requests dropped because their deadline had passed.</param>
/// <param name="QueueDepth">Requests still waiting when the batch started.</param>
/// <param name="Compute">Time spent in the batch handler.</param>
public readonly record struct BatchStats(int Size, int Expired, int QueueDepth, TimeSpan Compute);

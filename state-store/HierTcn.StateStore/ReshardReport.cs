namespace HierTcn.StateStore;

/// <summary>What a re-shard copied.</summary>
/// <param name="States">States copied in all.</param>
/// <param name="PerTarget">States copied into each target shard, in target order.</param>
public sealed record ReshardReport(long States, IReadOnlyList<long> PerTarget);

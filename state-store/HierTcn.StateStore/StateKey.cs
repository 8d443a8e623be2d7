namespace HierTcn.StateStore;

/// <summary>The key of a stored user state: the model version and the external user id.</summary>
public readonly record struct StateKey(string ModelVersion, long UserId)
{
    /// <summary>The stable 64-bit hash that shards and lock stripes use: FNV-1a 64 over the model version's UTF-8
    /// bytes, XOR the user id, then the SplitMix64 finalizer. Documented in state-store/README.md; changing it moves
    /// every user to another shard.</summary>
    public ulong StableHash => ShardHash.KeyHash(ModelVersion, UserId);

    /// <inheritdoc/>
    public override string ToString() => $"({ModelVersion}, {UserId})";
}

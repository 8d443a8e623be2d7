namespace HierTcn.StateStore;

/// <summary>Result of a write. <see cref="Version"/> is the stored version after an <see cref="StoreStatus.Ok"/>
/// put or compare-and-swap, and the current version (0 when absent) after a <see cref="StoreStatus.VersionMismatch"/>.</summary>
public readonly record struct WriteResult(StoreStatus Status, ulong Version, string? Error = null)
{
    /// <summary>True when the write happened and is durable.</summary>
    public bool IsOk => Status == StoreStatus.Ok;
}

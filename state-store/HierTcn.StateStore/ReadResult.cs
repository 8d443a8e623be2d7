using HierTcn.Formats.State;

namespace HierTcn.StateStore;

/// <summary>Result of a read: <see cref="StoreStatus.Ok"/> with the state (its <see cref="UserState.Version"/> set),
/// <see cref="StoreStatus.NotFound"/>, or <see cref="StoreStatus.Unavailable"/> with an error.</summary>
public readonly record struct ReadResult(StoreStatus Status, UserState? State, string? Error = null)
{
    /// <summary>The result for a missing key.</summary>
    public static ReadResult NotFound => new(StoreStatus.NotFound, null);
}

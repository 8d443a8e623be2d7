using HierTcn.Formats.State;

namespace HierTcn.StateStore.Client;

/// <summary>
/// The state store as the inference service sees it. Two implementations: <see cref="EmbeddedStateStore"/> (the
/// engine in-process, the default for one pod) and <see cref="RemoteStateStore"/> (gRPC shards). Both pass one
/// contract test suite.
/// <para>Writes return <see cref="StoreStatus.Ok"/> only once durable. A write answered
/// <see cref="StoreStatus.Unavailable"/> may or may not have been applied: read before retrying, or use
/// compare-and-swap. Implementations are thread-safe.</para>
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>Reads one state.</summary>
    ValueTask<ReadResult> GetAsync(StateKey key, CancellationToken cancellationToken = default);

    /// <summary>Reads one state for ranking: an implementation may leave out the session item times and the event ids
    /// and times (<see cref="UserState.EventsOmitted"/>), which grow with the session and which ranking does not read;
    /// such a state cannot be written back. The default reads the whole state.</summary>
    ValueTask<ReadResult> GetForRankingAsync(StateKey key, CancellationToken cancellationToken = default) => GetAsync(key, cancellationToken);

    /// <summary>Reads many states; results in the order of <paramref name="keys"/>.</summary>
    ValueTask<IReadOnlyList<ReadResult>> GetManyAsync(IReadOnlyList<StateKey> keys, CancellationToken cancellationToken = default);

    /// <summary>Stores a state unconditionally; on success sets <see cref="UserState.Version"/> to the new version.</summary>
    ValueTask<WriteResult> PutAsync(UserState state, CancellationToken cancellationToken = default);

    /// <summary>Stores many independent states; results in order; each success sets its state's version.</summary>
    ValueTask<IReadOnlyList<WriteResult>> PutManyAsync(IReadOnlyList<UserState> states, CancellationToken cancellationToken = default);

    /// <summary>Stores a state only if the stored version is <paramref name="expectedVersion"/> (0: absent); on
    /// success sets <see cref="UserState.Version"/>.</summary>
    ValueTask<WriteResult> CompareAndSwapAsync(UserState state, ulong expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>Deletes a state.</summary>
    ValueTask<WriteResult> DeleteAsync(StateKey key, CancellationToken cancellationToken = default);

    /// <summary>Makes the stored state of <paramref name="key"/>, if it is at <paramref name="version"/>, as durable as
    /// a write this store answers <see cref="StoreStatus.Ok"/>, without changing it: for a caller that finds its change
    /// already in the state (applied by an earlier write whose answer was lost or was
    /// <see cref="StoreStatus.Unavailable"/>) and is about to acknowledge it. Answers <see cref="StoreStatus.Ok"/> with
    /// <paramref name="version"/>, <see cref="StoreStatus.VersionMismatch"/> with the current version (0: absent) when
    /// the state is at another version (read again), or <see cref="StoreStatus.Unavailable"/> when it cannot be made so
    /// now. The default answers Ok without a call, for stores whose Ok adds nothing to what any written state already
    /// has; <see cref="RespStateStore"/> with <see cref="RespStateStoreOptions.WaitForReplicas"/> above 0 writes the
    /// state's version again and waits for replicas, as after a write.</summary>
    ValueTask<WriteResult> ConfirmDurableAsync(StateKey key, ulong version, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(new WriteResult(StoreStatus.Ok, version));
}

using System.Diagnostics;
using HierTcn.Formats.State;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;

namespace HierTcn.StateStore.Monitoring;

/// <summary>The embedded store, counted in the state store's own metrics (<see cref="StateStoreMetrics"/>) under the
/// method names a shard uses for the same operation (Get, BatchGet, Put, BatchPut, CompareAndSwap, Delete), so the
/// chart's state store rules and dashboard read an inference pod with the embedded store as they read a shard. A batch
/// counts once, as ok, like a shard's. Calls that throw (cancelled) are not counted, as on a shard. Disposing it
/// disposes the inner store.</summary>
public sealed class MeteredStateStore(IStateStore inner, StateStoreMetrics metrics) : IStateStore
{
    public async ValueTask<ReadResult> GetAsync(StateKey key, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var result = await inner.GetAsync(key, cancellationToken).ConfigureAwait(false);
        metrics.Observe("Get", result.Status, start);
        return result;
    }

    /// <summary>The embedded store's read for ranking (without the event ids), counted as a Get like a shard's: without
    /// it the interface's default would send the hot path's reads through <see cref="GetAsync"/>, whole.</summary>
    public async ValueTask<ReadResult> GetForRankingAsync(StateKey key, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var result = await inner.GetForRankingAsync(key, cancellationToken).ConfigureAwait(false);
        metrics.Observe("Get", result.Status, start);
        return result;
    }

    public async ValueTask<IReadOnlyList<ReadResult>> GetManyAsync(IReadOnlyList<StateKey> keys, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var results = await inner.GetManyAsync(keys, cancellationToken).ConfigureAwait(false);
        metrics.Observe("BatchGet", StoreStatus.Ok, start);
        return results;
    }

    public async ValueTask<WriteResult> PutAsync(UserState state, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var result = await inner.PutAsync(state, cancellationToken).ConfigureAwait(false);
        metrics.Observe("Put", result.Status, start);
        return result;
    }

    public async ValueTask<IReadOnlyList<WriteResult>> PutManyAsync(IReadOnlyList<UserState> states, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var results = await inner.PutManyAsync(states, cancellationToken).ConfigureAwait(false);
        metrics.Observe("BatchPut", StoreStatus.Ok, start);
        return results;
    }

    public async ValueTask<WriteResult> CompareAndSwapAsync(UserState state, ulong expectedVersion, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var result = await inner.CompareAndSwapAsync(state, expectedVersion, cancellationToken).ConfigureAwait(false);
        metrics.Observe("CompareAndSwap", result.Status, start);
        return result;
    }

    public async ValueTask<WriteResult> DeleteAsync(StateKey key, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var result = await inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        metrics.Observe("Delete", result.Status, start);
        return result;
    }

    /// <summary>Forwarded, so the inner store's answer (not the interface's default) decides; counted as a
    /// CompareAndSwap, the write it stands for.</summary>
    public async ValueTask<WriteResult> ConfirmDurableAsync(StateKey key, ulong version, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var result = await inner.ConfirmDurableAsync(key, version, cancellationToken).ConfigureAwait(false);
        metrics.Observe("CompareAndSwap", result.Status, start);
        return result;
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

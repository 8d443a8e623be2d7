using System.Collections.Concurrent;
using HierTcn.Formats.State;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;

namespace HierTcn.Inference.Tests;

/// <summary>An in-memory <see cref="IStateStore"/> for engine tests: states are kept as clones, reads can be held
/// at a gate, and chosen keys can be made to answer a fixed status (a store outage, a damaged record, refused
/// writes) without a real store failing.</summary>
internal sealed class ScriptedStateStore : IStateStore
{
    private readonly ConcurrentDictionary<StateKey, UserState> _states = new();
    private readonly ConcurrentDictionary<StateKey, StoreStatus> _readFaults = new();
    private readonly ConcurrentDictionary<StateKey, StoreStatus> _writeFaults = new();
    private volatile TaskCompletionSource? _readGate;
    private int _heldReads;

    /// <summary>Reads that are waiting at the gate now.</summary>
    public int HeldReads => Volatile.Read(ref _heldReads);

    /// <summary>From now on every read waits until <see cref="OpenReads"/>.</summary>
    public void HoldReads() => _readGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OpenReads() => Interlocked.Exchange(ref _readGate, null)?.TrySetResult();

    /// <summary>Reads of <paramref name="key"/> answer <paramref name="status"/> with an error message.</summary>
    public void FailReads(StateKey key, StoreStatus status) => _readFaults[key] = status;

    /// <summary>Writes of <paramref name="key"/> answer <paramref name="status"/> with an error message.</summary>
    public void FailWrites(StateKey key, StoreStatus status) => _writeFaults[key] = status;

    public bool Contains(StateKey key) => _states.ContainsKey(key);

    public async ValueTask<ReadResult> GetAsync(StateKey key, CancellationToken cancellationToken = default)
    {
        if (_readGate is { } gate)
        {
            Interlocked.Increment(ref _heldReads);
            try
            {
                await gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _heldReads);
            }
        }
        if (_readFaults.TryGetValue(key, out var fault))
        {
            return new ReadResult(fault, null, $"scripted {fault} for {key}");
        }
        return _states.TryGetValue(key, out var state) ? new ReadResult(StoreStatus.Ok, state.Clone()) : ReadResult.NotFound;
    }

    public async ValueTask<IReadOnlyList<ReadResult>> GetManyAsync(IReadOnlyList<StateKey> keys, CancellationToken cancellationToken = default)
    {
        var results = new ReadResult[keys.Count];
        for (int i = 0; i < keys.Count; i++)
        {
            results[i] = await GetAsync(keys[i], cancellationToken).ConfigureAwait(false);
        }
        return results;
    }

    public ValueTask<WriteResult> PutAsync(UserState state, CancellationToken cancellationToken = default)
    {
        var key = new StateKey(state.ModelVersion, state.UserId);
        if (_writeFaults.TryGetValue(key, out var fault))
        {
            return ValueTask.FromResult(new WriteResult(fault, 0, $"scripted {fault} for {key}"));
        }
        lock (_states)
        {
            ulong next = (_states.TryGetValue(key, out var old) ? old.Version : 0) + 1;
            state.Version = next;
            _states[key] = state.Clone();
            return ValueTask.FromResult(new WriteResult(StoreStatus.Ok, next));
        }
    }

    public async ValueTask<IReadOnlyList<WriteResult>> PutManyAsync(IReadOnlyList<UserState> states, CancellationToken cancellationToken = default)
    {
        var results = new WriteResult[states.Count];
        for (int i = 0; i < states.Count; i++)
        {
            results[i] = await PutAsync(states[i], cancellationToken).ConfigureAwait(false);
        }
        return results;
    }

    public ValueTask<WriteResult> CompareAndSwapAsync(UserState state, ulong expectedVersion, CancellationToken cancellationToken = default)
    {
        var key = new StateKey(state.ModelVersion, state.UserId);
        lock (_states)
        {
            ulong current = _states.TryGetValue(key, out var old) ? old.Version : 0;
            if (current != expectedVersion)
            {
                return ValueTask.FromResult(new WriteResult(StoreStatus.VersionMismatch, current));
            }
            return PutAsync(state, cancellationToken);
        }
    }

    public ValueTask<WriteResult> DeleteAsync(StateKey key, CancellationToken cancellationToken = default)
    {
        _states.TryRemove(key, out _);
        return ValueTask.FromResult(new WriteResult(StoreStatus.Ok, 0));
    }

    public ValueTask DisposeAsync()
    {
        OpenReads();
        return ValueTask.CompletedTask;
    }
}

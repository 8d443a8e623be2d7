using HierTcn.Formats.State;
using Microsoft.Extensions.Logging;

namespace HierTcn.StateStore.Client;

/// <summary>The engine in-process behind <see cref="IStateStore"/>: no network hop, same durability.</summary>
public sealed class EmbeddedStateStore : IStateStore
{
    private readonly StateStoreEngine _engine;
    private readonly bool _ownsEngine;

    /// <summary>Wraps an open engine; disposing this store disposes the engine only when
    /// <paramref name="ownsEngine"/> is true.</summary>
    public EmbeddedStateStore(StateStoreEngine engine, bool ownsEngine = false)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        _ownsEngine = ownsEngine;
    }

    /// <summary>Opens an engine on <paramref name="options"/> and owns it, without a recovery probe: a store log
    /// damaged so that FASTER's recovery reads out of bounds ends this process. Hosts use the overload with a
    /// <see cref="CheckpointProbe"/>.</summary>
    /// <exception cref="StateStoreDamagedException">The files cannot be recovered without loss; the message says
    /// what and how to repair.</exception>
    public static async Task<EmbeddedStateStore> OpenAsync(StateStoreOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
        => new(await StateStoreEngine.OpenAsync(options, loggerFactory, null, cancellationToken).ConfigureAwait(false), ownsEngine: true);

    /// <summary>Opens an engine on <paramref name="options"/> and owns it, recovering each checkpoint in a child
    /// process first (<paramref name="checkpointProbe"/>, usually <c>CheckpointProbe.ForEntryAssembly(options).ProbeAsync</c>),
    /// as the shard server does: a checkpoint the child cannot recover is skipped (logged), the next older one or
    /// the write-ahead log is used, and damage that would crash FASTER crashes the child, not this process.</summary>
    /// <exception cref="StateStoreDamagedException">No checkpoint is usable and the write-ahead log no longer holds
    /// every write; the message says what and how to repair.</exception>
    public static async Task<EmbeddedStateStore> OpenAsync(StateStoreOptions options, ILoggerFactory? loggerFactory,
        Func<Guid, CancellationToken, Task<string?>> checkpointProbe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpointProbe);
        return new(await StateStoreEngine.OpenAsync(options, loggerFactory, null, checkpointProbe, cancellationToken).ConfigureAwait(false), ownsEngine: true);
    }

    /// <summary>The engine behind this store.</summary>
    public StateStoreEngine Engine => _engine;

    /// <inheritdoc/>
    public ValueTask<ReadResult> GetAsync(StateKey key, CancellationToken cancellationToken = default) => _engine.GetAsync(key, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ReadResult> GetForRankingAsync(StateKey key, CancellationToken cancellationToken = default)
        => _engine.GetAsync(key, omitEvents: true, cancellationToken);

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<ReadResult>> GetManyAsync(IReadOnlyList<StateKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var results = new ReadResult[keys.Count];
        for (int i = 0; i < keys.Count; i++)
            results[i] = await _engine.GetAsync(keys[i], cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <inheritdoc/>
    public ValueTask<WriteResult> PutAsync(UserState state, CancellationToken cancellationToken = default) => _engine.PutAsync(state, cancellationToken);

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<WriteResult>> PutManyAsync(IReadOnlyList<UserState> states, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        // Concurrent, so the writes share WAL commits.
        var tasks = new Task<WriteResult>[states.Count];
        for (int i = 0; i < states.Count; i++)
            tasks[i] = _engine.PutAsync(states[i], cancellationToken).AsTask();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<WriteResult> CompareAndSwapAsync(UserState state, ulong expectedVersion, CancellationToken cancellationToken = default)
        => _engine.CompareAndSwapAsync(state, expectedVersion, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<WriteResult> DeleteAsync(StateKey key, CancellationToken cancellationToken = default) => _engine.DeleteAsync(key, cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _ownsEngine ? _engine.DisposeAsync() : ValueTask.CompletedTask;
}

using System.Diagnostics;
using HierTcn.Formats.State;
using HierTcn.StateStore.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HierTcn.StateStore;

/// <summary>
/// The durable user-state store: FASTER's key-value store keyed by (model version, user id), FASTER's log as a
/// write-ahead log with group commit, periodic checkpoints, expiry and compaction.
/// <para>A write returns <see cref="StoreStatus.Ok"/> only after its WAL entry is committed, so it survives the
/// process being killed at any moment. Writes to one key are serialized; writes to different keys run in
/// parallel and share WAL commits. A read never returns a write whose commit is still in flight.</para>
/// <para>Thread-safe. Dispose takes a final checkpoint.</para>
/// </summary>
public sealed partial class StateStoreEngine : IAsyncDisposable
{
    private readonly StateStoreOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly string _hlogDirectory;
    private readonly string _checkpointDirectory;
    private readonly string _walDirectory;
    private readonly SemaphoreSlim[] _locks;
    private readonly ReaderWriterLockSlim _checkpointGate = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim _checkpointMutex = new(1, 1);
    private readonly int _generation = Random.Shared.Next(1, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private FasterStore _store = null!;
    private WriteAheadLog _wal = null!;
    private Task _background = Task.CompletedTask;
    private int _faultLogged;
    private int _disposed;

    private StateStoreEngine(StateStoreOptions options, ILoggerFactory? loggerFactory, TimeProvider? clock)
    {
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<StateStoreEngine>();
        _clock = clock ?? TimeProvider.System;
        _hlogDirectory = Path.Combine(options.DataDirectory, "hlog");
        _checkpointDirectory = Path.Combine(options.DataDirectory, "checkpoints");
        _walDirectory = Path.Combine(options.DataDirectory, "wal");
        _locks = new SemaphoreSlim[options.LockStripes];
        for (int i = 0; i < _locks.Length; i++)
            _locks[i] = new SemaphoreSlim(1, 1);
    }

    /// <summary>Opens the store in <see cref="StateStoreOptions.DataDirectory"/>, recovering what a previous process
    /// left there (last usable checkpoint plus the WAL since it). Damaged checkpoints or a damaged WAL tail are
    /// logged and skipped; opening does not fail because of them. <paramref name="clock"/> (default the system clock)
    /// stamps writes and drives the TTL, the checkpoint and housekeeping schedule and its timer.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static Task<StateStoreEngine> OpenAsync(StateStoreOptions options, ILoggerFactory? loggerFactory = null,
        TimeProvider? clock = null, CancellationToken cancellationToken = default)
        => OpenAsync(options, loggerFactory, clock, null, cancellationToken);

    internal static async Task<StateStoreEngine> OpenAsync(StateStoreOptions options, ILoggerFactory? loggerFactory,
        TimeProvider? clock, Func<FASTER.core.IDevice, FASTER.core.IDevice>? wrapWalDevice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("invalid state store options: " + string.Join("; ", errors), nameof(options));
        var engine = new StateStoreEngine(options, loggerFactory, clock);
        await Task.Run(() => engine.Recover(loggerFactory, wrapWalDevice), cancellationToken).ConfigureAwait(false);
        await engine.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        engine.RefreshDiskUsage();
        engine._background = Task.Run(engine.BackgroundLoopAsync, CancellationToken.None);
        return engine;
    }

    /// <summary>The options the engine runs with.</summary>
    public StateStoreOptions Options => _options;

    /// <summary>Reads the state stored under <paramref name="key"/>.</summary>
    public async ValueTask<ReadResult> GetAsync(StateKey key, CancellationToken cancellationToken = default)
    {
        if (KeyCodec.Check(key) is { } invalid)
            return new ReadResult(StoreStatus.InvalidArgument, null, invalid);
        var keyBytes = FasterStore.PinnedKey(KeyCodec.Encode(key));
        var value = await _store.ReadAsync(keyBytes).ConfigureAwait(false);
        if (value is not null && IsInFlight(value))
        {
            // The writer holds the key's lock until its commit settles (committed or rolled back).
            var stripe = Stripe(key);
            await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
            stripe.Release();
            value = await _store.ReadAsync(keyBytes).ConfigureAwait(false);
        }
        if (value is null)
            return ReadResult.NotFound;
        if (!UserStateSerializer.TryDeserialize(StoredValue.State(value), out var state, out var error))
        {
            EngineLog.StoredStateDamaged(_logger, key.ToString(), error);
            return new ReadResult(StoreStatus.Damaged, null, $"the stored state of {key} is damaged ({error}); a Put or Delete replaces it");
        }
        return new ReadResult(StoreStatus.Ok, state);
    }

    /// <summary>Stores <paramref name="state"/> unconditionally. On success the result and
    /// <see cref="UserState.Version"/> carry the new version (previous version + 1, or 1).</summary>
    public ValueTask<WriteResult> PutAsync(UserState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return WriteAsync(new StateKey(state.ModelVersion, state.UserId), state, null, cancellationToken);
    }

    /// <summary>Stores <paramref name="state"/> only if the stored version is <paramref name="expectedVersion"/>
    /// (0: no state stored). Otherwise returns <see cref="StoreStatus.VersionMismatch"/> with the current version.</summary>
    public ValueTask<WriteResult> CompareAndSwapAsync(UserState state, ulong expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return WriteAsync(new StateKey(state.ModelVersion, state.UserId), state, expectedVersion, cancellationToken);
    }

    /// <summary>Deletes the state under <paramref name="key"/>; <see cref="StoreStatus.NotFound"/> when there is none.
    /// A state created again later starts at version 1.</summary>
    public ValueTask<WriteResult> DeleteAsync(StateKey key, CancellationToken cancellationToken = default)
        => WriteAsync(key, null, null, cancellationToken);

    /// <summary>A point-in-time view for metrics.</summary>
    public StateStoreStats GetStats() => new(
        _store.LogBytes,
        _wal.TailAddress - _wal.BeginAddress,
        Volatile.Read(ref _diskBytes),
        Volatile.Read(ref _lastCheckpointUnixMs) is var ms and >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
        _recoveryTime,
        _replayed,
        WriteRefusal());

    private async ValueTask<WriteResult> WriteAsync(StateKey key, UserState? state, ulong? expectedVersion, CancellationToken cancellationToken)
    {
        if (KeyCodec.Check(key) is { } invalid)
            return new WriteResult(StoreStatus.InvalidArgument, 0, invalid);
        byte[]? stateBytes = null;
        if (state is not null)
        {
            int size;
            try
            {
                size = UserStateSerializer.GetSize(state);
                if (size > _options.MaxStateBytes)
                    return new WriteResult(StoreStatus.InvalidArgument, 0, $"state of {key} is {size} bytes, more than MaxStateBytes ({_options.MaxStateBytes})");
                stateBytes = UserStateSerializer.Serialize(state);
            }
            catch (ArgumentException ex)
            {
                return new WriteResult(StoreStatus.InvalidArgument, 0, $"state of {key}: {ex.Message}");
            }
        }
        if (WriteRefusal() is { } refused)
            return new WriteResult(StoreStatus.WritesRefused, 0, refused);

        var keyBytes = FasterStore.PinnedKey(KeyCodec.Encode(key));
        var stripe = Stripe(key);
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var previous = await _store.ReadAsync(keyBytes).ConfigureAwait(false);
            ulong current = previous is null ? 0 : StoredValue.Version(previous);
            if (expectedVersion is { } expected && expected != current)
                return new WriteResult(StoreStatus.VersionMismatch, current);
            if (stateBytes is null && previous is null)
                return new WriteResult(StoreStatus.NotFound, 0);
            ulong version = stateBytes is null ? 0 : current + 1;
            if (stateBytes is not null)
                UserStateSerializer.SetVersion(stateBytes, version);
            long now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            string? failure = await AppendAndApplyAsync(keyBytes, stateBytes, now).ConfigureAwait(false);
            if (failure is not null)
            {
                if (previous is null)
                    _store.Delete(keyBytes);
                else
                    _store.Upsert(keyBytes, previous);
                return new WriteResult(StoreStatus.WritesRefused, 0, failure);
            }
            if (state is not null)
                state.Version = version;
            return new WriteResult(StoreStatus.Ok, version);
        }
        finally
        {
            stripe.Release();
        }
    }

    /// <summary>Logs the write to the WAL, applies it to the store and waits for the commit. The caller holds the
    /// key's lock. Returns null when durable, else why the write failed (the store may hold it; the caller undoes it).</summary>
    private async ValueTask<string?> AppendAndApplyAsync(byte[] keyBytes, byte[]? stateBytes, long writtenAtMs)
    {
        var entry = WalRecord.Encode(stateBytes is null ? WalRecord.Delete : WalRecord.Put, writtenAtMs, keyBytes, stateBytes);
        long address;
        // Enqueue and apply happen together under the gate, so a checkpoint's WAL position splits writes cleanly:
        // everything logged before it is in the checkpoint, everything after it is replayed.
        _checkpointGate.EnterReadLock();
        try
        {
            address = _wal.Enqueue(entry);
            if (stateBytes is null)
                _store.Delete(keyBytes);
            else
                _store.Upsert(keyBytes, StoredValue.Encode(address, _generation, writtenAtMs, stateBytes));
        }
        catch (Exception ex) when (ex is FASTER.core.FasterException or IOException or InvalidOperationException)
        {
            _wal.SetFault($"write-ahead log append failed: {ex.Message}");
            return NoteFault();
        }
        finally
        {
            _checkpointGate.ExitReadLock();
        }
        return await _wal.WaitDurableAsync(address).ConfigureAwait(false) is null ? null : NoteFault();
    }

    private string NoteFault()
    {
        string fault = _wal.Fault ?? "write-ahead log failed";
        if (Interlocked.Exchange(ref _faultLogged, 1) == 0)
            EngineLog.WriteFault(_logger, fault);
        return fault;
    }

    private string? WriteRefusal() => _wal.Fault ?? _quotaRefusal;

    private bool IsInFlight(byte[] value)
        => StoredValue.Generation(value) == _generation && StoredValue.WalAddress(value) >= _wal.DurableUntil;

    private SemaphoreSlim Stripe(StateKey key) => _locks[(int)(key.StableHash & (ulong)(_locks.Length - 1))];

    /// <summary>Takes a final checkpoint and releases the files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stop.Cancel();
        try
        {
            await _background.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        if (WriteRefusal() is null)
            await CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
        await _wal.DisposeAsync().ConfigureAwait(false);
        _store.Dispose();
        _checkpointGate.Dispose();
        _checkpointMutex.Dispose();
        _stop.Dispose();
        foreach (var stripe in _locks)
            stripe.Dispose();
    }

    /// <summary>Test hook: releases the files without a final checkpoint, as a killed process would leave them
    /// (the WAL holds every acknowledged write; the last checkpoint is older).</summary>
    internal async ValueTask AbandonAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stop.Cancel();
        try
        {
            await _background.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _wal.DisposeAsync().ConfigureAwait(false);
        _store.Dispose();
    }

    /// <summary>Test hook: the checkpoints kept, oldest first, with their WAL positions.</summary>
    internal IReadOnlyList<(Guid Token, long WalAddress)> RetainedCheckpoints => [.. _retained];

    /// <summary>Test hook: the WAL's tail address (end of the last entry).</summary>
    internal long WalTailAddress => _wal.TailAddress;

    private static long ElapsedMs(long startTimestamp) => (long)Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
}

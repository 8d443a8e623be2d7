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
    private readonly SemaphoreSlim _applySlots = new(Math.Max(2, Environment.ProcessorCount), Math.Max(2, Environment.ProcessorCount));
    private readonly int _generation = Random.Shared.Next(1, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly System.Collections.Concurrent.ConcurrentBag<ReadBuffer> _readBuffers = [];
    private FasterStore _store = null!;
    private WriteAheadLog _wal = null!;
    private Task _background = Task.CompletedTask;
    private ulong _versionCounter;
    private long _damagedRecords;
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
    /// left there (last usable checkpoint plus the WAL since it). Damaged checkpoints and damaged WAL entries are
    /// logged, counted and skipped. <paramref name="clock"/> (default the system clock) stamps writes and drives the
    /// TTL, the checkpoint and housekeeping schedule and its timer.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="StateStoreDamagedException">The files are damaged in a way that opening would turn into a
    /// silent loss of acknowledged states (no usable checkpoint and a truncated WAL), or recovery failed; the
    /// message says what and how to repair (<see cref="RepairAsync"/>).</exception>
    public static Task<StateStoreEngine> OpenAsync(StateStoreOptions options, ILoggerFactory? loggerFactory = null,
        TimeProvider? clock = null, CancellationToken cancellationToken = default)
        => OpenAsync(options, loggerFactory, clock, null, acceptLoss: false, cancellationToken);

    /// <summary>As <see cref="OpenAsync(StateStoreOptions, ILoggerFactory?, TimeProvider?, CancellationToken)"/>, asking
    /// <paramref name="checkpointProbe"/> before recovering each checkpoint in this process: it returns null when the
    /// checkpoint is safe to recover, else why not (the checkpoint is then treated as unusable). A damaged store log
    /// can make FASTER's recovery or a scan read out of bounds (an access violation, which ends the process whatever
    /// catches it), so a host runs <see cref="ProbeCheckpoint"/> in a child process (the shard server does).</summary>
    public static Task<StateStoreEngine> OpenAsync(StateStoreOptions options, ILoggerFactory? loggerFactory, TimeProvider? clock,
        Func<Guid, CancellationToken, Task<string?>>? checkpointProbe, CancellationToken cancellationToken = default)
        => OpenAsync(options, loggerFactory, clock, checkpointProbe, acceptLoss: false, cancellationToken);

    /// <summary>Recovers checkpoint <paramref name="token"/> of the store in <see cref="StateStoreOptions.DataDirectory"/>
    /// into a throwaway instance and reads every record of its store log, then releases it; nothing is written.
    /// Returns the records read and how many fail their checksum. Meant for a child process: damage that FASTER does
    /// not survive ends the process (the parent sees it die) instead of the parent.</summary>
    /// <exception cref="Exception">The checkpoint is unusable (any exception FASTER or the check raises).</exception>
    public static (long Records, long Damaged) ProbeCheckpoint(StateStoreOptions options, Guid token)
    {
        ArgumentNullException.ThrowIfNull(options);
        var hlog = Path.Combine(options.DataDirectory, "hlog");
        var checkpoints = Path.Combine(options.DataDirectory, "checkpoints");
        if (!Directory.Exists(hlog) || !Directory.Exists(checkpoints))
            throw new DirectoryNotFoundException($"{options.DataDirectory} holds no store log or checkpoints");
        using var store = FasterStore.Create(options, hlog, checkpoints, null);
        store.Recover(token);
        long records = 0, damaged = 0;
        store.ForEachLive((key, value) =>
        {
            records++;
            if (StoredValue.Check(key, value) is not null)
                damaged++;
            return true;
        });
        return (records, damaged);
    }

    /// <summary>The way out of <see cref="StateStoreDamagedException"/>: opens the store accepting the loss (an
    /// unusable store log and checkpoints are moved to <c>DataDirectory/damaged-TIME/</c> and the store is rebuilt
    /// from the WAL alone), then closes it. The shard must be stopped. Returns the WAL records replayed.</summary>
    public static async Task<long> RepairAsync(StateStoreOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        await using var engine = await OpenAsync(options, loggerFactory, null, null, acceptLoss: true, cancellationToken).ConfigureAwait(false);
        return engine._replayed;
    }

    private static async Task<StateStoreEngine> OpenAsync(StateStoreOptions options, ILoggerFactory? loggerFactory,
        TimeProvider? clock, Func<Guid, CancellationToken, Task<string?>>? checkpointProbe, bool acceptLoss, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("invalid state store options: " + string.Join("; ", errors), nameof(options));
        var engine = new StateStoreEngine(options, loggerFactory, clock);
        try
        {
            await Task.Run(() => engine.Recover(loggerFactory, checkpointProbe, acceptLoss, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (StateStoreDamagedException or OperationCanceledException or OutOfMemoryException))
        {
            engine.ReleaseAfterFailedOpen();
            throw new StateStoreDamagedException($"recovery of {options.DataDirectory} failed: {ex.Message}", RepairCommandFor(options.DataDirectory));
        }
        catch
        {
            engine.ReleaseAfterFailedOpen();
            throw;
        }
        await engine.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        engine.RefreshDiskUsage();
        engine._background = Task.Run(engine.BackgroundLoopAsync, CancellationToken.None);
        return engine;
    }

    /// <summary>The options the engine runs with.</summary>
    public StateStoreOptions Options => _options;

    /// <summary>Reads the state stored under <paramref name="key"/>.</summary>
    public ValueTask<ReadResult> GetAsync(StateKey key, CancellationToken cancellationToken = default)
        => GetAsync(key, omitEvents: false, cancellationToken);

    /// <summary>Reads the state stored under <paramref name="key"/>; with <paramref name="omitEvents"/>, without its
    /// session item times and event ids and times (<see cref="UserState.EventsOmitted"/>: what ranking needs, a state
    /// that cannot be written back). The record is copied into a pooled buffer, so a read allocates only the state.</summary>
    public async ValueTask<ReadResult> GetAsync(StateKey key, bool omitEvents, CancellationToken cancellationToken = default)
    {
        if (KeyCodec.Check(key) is { } invalid)
            return new ReadResult(StoreStatus.InvalidArgument, null, invalid);
        if (!_readBuffers.TryTake(out var buffer))
            buffer = new ReadBuffer();
        try
        {
            buffer.KeyLength = KeyCodec.EncodeInto(key, buffer.Key);
            await _store.ReadIntoAsync(buffer).ConfigureAwait(false);
            if (buffer.Found && IsInFlight(buffer.Value))
            {
                // The writer holds the key's lock until its commit settles (committed or rolled back).
                var stripe = Stripe(key);
                await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
                stripe.Release();
                await _store.ReadIntoAsync(buffer).ConfigureAwait(false);
            }
            return buffer.Found ? Decode(key, buffer, omitEvents) : ReadResult.NotFound;
        }
        finally
        {
            buffer.Reset();
            _readBuffers.Add(buffer);
        }
    }

    private ReadResult Decode(StateKey key, ReadBuffer buffer, bool omitEvents)
    {
        string? error = StoredValue.Check(buffer.KeyBytes, buffer.Value);
        if (error is not null || !UserStateSerializer.TryDeserialize(StoredValue.State(buffer.Value), omitEvents, out var state, out error))
            return new ReadResult(StoreStatus.NotFound, null, NoteDamaged(key, error));
        return new ReadResult(StoreStatus.Ok, state);
    }

    /// <summary>Stores <paramref name="state"/> unconditionally. On success the result and
    /// <see cref="UserState.Version"/> carry the new version: the previous version + 1, or, for a key with no state
    /// (never written, deleted, expired or damaged), one more than any version the store has issued, so a version
    /// never repeats for a key.</summary>
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
    /// A state created again later gets a version above every earlier one.</summary>
    public ValueTask<WriteResult> DeleteAsync(StateKey key, CancellationToken cancellationToken = default)
        => WriteAsync(key, null, null, cancellationToken);

    /// <summary>A point-in-time view for metrics.</summary>
    public StateStoreStats GetStats() => new(
        _store.LogBytes,
        Math.Max(0, _wal.TailAddress - _wal.BeginAddress),
        Volatile.Read(ref _diskBytes),
        Volatile.Read(ref _lastCheckpointUnixMs) is var ms and >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
        _recoveryTime,
        _replayed,
        WriteRefusal())
    {
        DamagedRecords = Volatile.Read(ref _damagedRecords),
        WalFault = _wal.Fault,
        WalEntriesLost = _walEntriesLost,
    };

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
                ushort format = (ushort)_options.WriteRecordFormat;
                size = UserStateSerializer.GetSize(state, format);
                if (size > _options.MaxStateBytes)
                    return new WriteResult(StoreStatus.InvalidArgument, 0, $"state of {key} is {size} bytes, more than MaxStateBytes ({_options.MaxStateBytes})");
                stateBytes = UserStateSerializer.Serialize(state, format);
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
            bool present = previous is not null;
            if (present && StoredValue.Check(keyBytes, previous) is { } damage)
            {
                NoteDamaged(key, damage);
                present = false;
            }
            ulong current = present ? StoredValue.Version(previous) : 0;
            if (expectedVersion is { } expected && expected != current)
                return new WriteResult(StoreStatus.VersionMismatch, current);
            if (stateBytes is null && !present)
            {
                if (previous is not null)
                    await AppendAndApplyAsync(keyBytes, null, 0, _clock.GetUtcNow().ToUnixTimeMilliseconds()).ConfigureAwait(false);
                return new WriteResult(StoreStatus.NotFound, 0);
            }
            // A key without a state takes a version above every one issued, so its versions never repeat (no ABA
            // after a delete or an expiry); the counter is in every checkpoint and every WAL entry.
            ulong version = stateBytes is null ? current : present ? current + 1 : Interlocked.Increment(ref _versionCounter);
            RaiseVersionCounter(version);
            if (stateBytes is not null)
                UserStateSerializer.SetVersion(stateBytes, version);
            long now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            string? failure = await AppendAndApplyAsync(keyBytes, stateBytes, version, now).ConfigureAwait(false);
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
    private async ValueTask<string?> AppendAndApplyAsync(byte[] keyBytes, byte[]? stateBytes, ulong version, long writtenAtMs)
    {
        var entry = WalRecord.Encode(stateBytes is null ? WalRecord.Delete : WalRecord.Put, writtenAtMs, version, keyBytes, stateBytes);
        long address;
        // FASTER's upsert blocks its thread while the store log waits for a page flush, and the flush and the
        // checkpoint's file writes complete on thread-pool threads: with every pool thread blocked in an upsert,
        // nothing completes them and every write hangs. So few writes are inside FASTER at once; the others wait
        // here without holding a thread.
        await _applySlots.WaitAsync().ConfigureAwait(false);
        try
        {
            // Enqueue and apply happen together under the gate, so a checkpoint's WAL position splits writes
            // cleanly: everything logged before it is in the checkpoint, everything after it is replayed.
            _checkpointGate.EnterReadLock();
            try
            {
                address = _wal.Enqueue(entry);
                if (stateBytes is null)
                    _store.Delete(keyBytes);
                else
                    _store.Upsert(keyBytes, StoredValue.Encode(keyBytes, address, _generation, writtenAtMs, stateBytes));
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
        }
        finally
        {
            _applySlots.Release();
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

    /// <summary>Logs and counts a damaged record; returns the message for the caller.</summary>
    private string NoteDamaged(StateKey key, string reason)
    {
        Interlocked.Increment(ref _damagedRecords);
        EngineLog.StoredStateDamaged(_logger, key.ToString(), reason);
        return $"the stored state of {key} was damaged ({reason}); treated as absent (a cold start)";
    }

    private void ReleaseAfterFailedOpen()
    {
        _store?.Dispose();
        if (_wal is not null)
            _wal.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private bool IsInFlight(ReadOnlySpan<byte> value)
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
        _applySlots.Dispose();
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

    /// <summary>Test hook: every later WAL write fails as on a full disk.</summary>
    internal void FailWalWrites() => _wal.FailWrites = true;

    private static long ElapsedMs(long startTimestamp) => (long)Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
}

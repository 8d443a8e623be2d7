using System.Buffers.Binary;
using System.Diagnostics;
using HierTcn.Formats.State;
using HierTcn.StateStore.Internal;

namespace HierTcn.StateStore;

public sealed partial class StateStoreEngine
{
    private long _lastCheckpointUnixMs = -1;
    private long _walTailAtCheckpoint = -1;
    private long _diskBytes;
    private volatile string? _quotaRefusal;

    /// <summary>How long a checkpoint waits for the writes in progress at a time (see <see cref="CheckpointAsync"/>).</summary>
    private static readonly TimeSpan GateWait = TimeSpan.FromMilliseconds(20);

    /// <summary>Takes a checkpoint of the store now, then drops the WAL and checkpoints it makes unnecessary
    /// (the two newest checkpoints and the WAL since the older of them are kept). Returns false when the checkpoint
    /// failed (logged); the WAL is then kept whole.</summary>
    public async Task<bool> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        await _checkpointMutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            long start = Stopwatch.GetTimestamp();
            long walAddress;
            Guid token;
            var cookie = new byte[CookieSize];
            // While the checkpoint waits for the gate, new writes wait behind it. A write inside the gate can be
            // waiting in FASTER for a page flush that only another thread's next FASTER call issues (epoch
            // actions run there); if every other write waited behind a checkpoint that waits for it, nothing would
            // issue the flush and all writes would hang. So the gate is asked for a short while at a time, and the
            // writes run in between.
            while (!_checkpointGate.TryEnterWriteLock(GateWait))
                await Task.Delay(GateWait, cancellationToken).ConfigureAwait(false);
            try
            {
                // No write is between its WAL entry and its store update now: the three values describe one point.
                walAddress = _wal.TailAddress;
                BinaryPrimitives.WriteInt64LittleEndian(cookie, walAddress);
                BinaryPrimitives.WriteInt64LittleEndian(cookie.AsSpan(8), _wal.NextSequence);
                BinaryPrimitives.WriteUInt64LittleEndian(cookie.AsSpan(16), Volatile.Read(ref _versionCounter));
                if (!_store.TryInitiateCheckpoint(cookie, out token))
                    return false;
            }
            finally
            {
                _checkpointGate.ExitWriteLock();
            }
            await _store.CompleteCheckpointAsync(cancellationToken).ConfigureAwait(false);
            // Reading and summing the checkpoint's files (the index alone is 64 MiB at the default size) blocks for a
            // while: on its own thread, not a thread-pool thread the service's requests need (bench/RESULTS.md, issue 11).
            await Task.Factory.StartNew(() => CheckpointChecksums.Write(_checkpointDirectory, token, _hlogDirectory),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            _retained.Add((token, walAddress));
            while (_retained.Count > 2)
            {
                Purge(_retained[0].Token);
                _retained.RemoveAt(0);
            }
            _wal.TruncateBefore(_retained[0].WalAddress);
            _walTailAtCheckpoint = walAddress;
            Volatile.Write(ref _lastCheckpointUnixMs, _clock.GetUtcNow().ToUnixTimeMilliseconds());
            EngineLog.CheckpointTaken(_logger, token, walAddress, ElapsedMs(start));
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            EngineLog.CheckpointFailed(_logger, ex.Message);
            return false;
        }
        finally
        {
            _checkpointMutex.Release();
        }
    }

    /// <summary>Deletes users not written for longer than <see cref="StateStoreOptions.UserTtl"/> (as of the
    /// engine's clock), then compacts the store log when it holds more than
    /// <see cref="StateStoreOptions.CompactionRatio"/> times its live bytes. Runs on its own every
    /// <see cref="StateStoreOptions.HousekeepingInterval"/>.</summary>
    public async Task<HousekeepingReport> RunHousekeepingAsync(CancellationToken cancellationToken = default)
    {
        var now = _clock.GetUtcNow();
        long cutoffMs = _options.UserTtl == TimeSpan.Zero ? long.MinValue : (now - _options.UserTtl).ToUnixTimeMilliseconds();
        var expired = new List<byte[]>();
        long liveRecords = 0, liveBytes = 0;
        await Task.Run(() => _store.ForEachLive((key, value) =>
        {
            if (StoredValue.WrittenAtMs(value) < cutoffMs)
            {
                expired.Add(key);
            }
            else
            {
                liveRecords++;
                liveBytes += key.Length + value.Length + 16;
            }
            return !cancellationToken.IsCancellationRequested;
        }), cancellationToken).ConfigureAwait(false);

        int deleted = 0;
        foreach (var key in expired)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await DeleteIfExpiredAsync(key, cutoffMs, cancellationToken).ConfigureAwait(false))
                deleted++;
        }
        if (deleted > 0)
            EngineLog.Expired(_logger, deleted, DateTimeOffset.FromUnixTimeMilliseconds(cutoffMs));

        long before = _store.LogBytes;
        bool compacted = false;
        if (before > _options.CompactionMinBytes && before > _options.CompactionRatio * liveBytes)
        {
            await Task.Run(_store.Compact, cancellationToken).ConfigureAwait(false);
            // Two checkpoints, so both kept checkpoints describe the compacted log (the older one is the fallback).
            await CheckpointAsync(cancellationToken).ConfigureAwait(false);
            await CheckpointAsync(cancellationToken).ConfigureAwait(false);
            compacted = true;
            EngineLog.Compacted(_logger, before, _store.LogBytes, liveRecords);
        }
        RefreshDiskUsage();
        return new HousekeepingReport(deleted, liveRecords, compacted, before, _store.LogBytes);
    }

    private async ValueTask<bool> DeleteIfExpiredAsync(byte[] key, long cutoffMs, CancellationToken cancellationToken)
    {
        if (WriteRefusal() is not null)
            return false;
        var keyBytes = FasterStore.PinnedKey(key);
        var stripe = Stripe(KeyCodec.Decode(keyBytes));
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await _store.ReadAsync(keyBytes).ConfigureAwait(false);
            if (current is null || StoredValue.WrittenAtMs(current) >= cutoffMs)
                return false;
            ulong version = StoredValue.Check(keyBytes, current) is null ? StoredValue.Version(current) : 0;
            if (await AppendAndApplyAsync(keyBytes, null, version, _clock.GetUtcNow().ToUnixTimeMilliseconds()).ConfigureAwait(false) is null)
                return true;
            _store.Upsert(keyBytes, current);
            return false;
        }
        finally
        {
            stripe.Release();
        }
    }

    /// <summary>Sums the files under the data directory and applies the disk quota.</summary>
    internal void RefreshDiskUsage()
    {
        long total = 0;
        try
        {
            foreach (var file in new DirectoryInfo(_options.DataDirectory).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                try
                {
                    total += file.Length;
                }
                catch (FileNotFoundException)
                {
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }
        Volatile.Write(ref _diskBytes, total);
        if (_options.MaxDiskBytes <= 0)
            return;
        if (total > _options.MaxDiskBytes && _quotaRefusal is null)
        {
            _quotaRefusal = $"disk quota reached: {total} bytes used under {_options.DataDirectory}, MaxDiskBytes is {_options.MaxDiskBytes}";
            EngineLog.QuotaReached(_logger, total, _options.MaxDiskBytes);
        }
        else if (total <= _options.MaxDiskBytes && _quotaRefusal is not null)
        {
            _quotaRefusal = null;
            EngineLog.QuotaCleared(_logger, total, _options.MaxDiskBytes);
        }
    }

    private async Task BackgroundLoopAsync()
    {
        var token = _stop.Token;
        // The engine's clock drives the ticks and the schedule, so a fake clock runs the loop without waiting.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _clock);
        var nextCheckpoint = _clock.GetUtcNow() + _options.CheckpointInterval;
        var nextHousekeeping = _clock.GetUtcNow() + _options.HousekeepingInterval;
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            try
            {
                RefreshDiskUsage();
                var now = _clock.GetUtcNow();
                if (now >= nextCheckpoint)
                {
                    nextCheckpoint = now + _options.CheckpointInterval;
                    if (_wal.TailAddress != _walTailAtCheckpoint && WriteRefusal() is null)
                        await CheckpointAsync(token).ConfigureAwait(false);
                }
                if (now >= nextHousekeeping)
                {
                    nextHousekeeping = now + _options.HousekeepingInterval;
                    await RunHousekeepingAsync(token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                EngineLog.HousekeepingFailed(_logger, ex.Message);
            }
        }
    }

    /// <summary>Calls <paramref name="visit"/> with every live, intact state (serialized) and its write time, until it
    /// returns false; damaged records are logged, counted and skipped. For offline re-sharding: concurrent writes may
    /// or may not be seen.</summary>
    internal void ForEachLiveState(Func<StateKey, byte[], long, bool> visit)
        => _store.ForEachLive((key, value) =>
        {
            if (StoredValue.Check(key, value) is { } damage)
            {
                NoteDamaged(KeyCodec.Decode(key), damage);
                return true;
            }
            return visit(KeyCodec.Decode(key), StoredValue.State(value).ToArray(), StoredValue.WrittenAtMs(value));
        });

    /// <summary>Stores serialized state bytes as they are (version included), for offline re-sharding.</summary>
    internal async ValueTask<WriteResult> RestoreAsync(StateKey key, byte[] state, long writtenAtMs)
    {
        if (!UserStateSerializer.TryDeserialize(state, out _, out var error))
            return new WriteResult(StoreStatus.InvalidArgument, 0, error);
        var keyBytes = FasterStore.PinnedKey(KeyCodec.Encode(key));
        var stripe = Stripe(key);
        await stripe.WaitAsync().ConfigureAwait(false);
        try
        {
            ulong version = UserStateSerializer.ReadVersion(state);
            RaiseVersionCounter(version);
            string? failure = await AppendAndApplyAsync(keyBytes, state, version, writtenAtMs).ConfigureAwait(false);
            return failure is null
                ? new WriteResult(StoreStatus.Ok, UserStateSerializer.ReadVersion(state))
                : new WriteResult(StoreStatus.WritesRefused, 0, failure);
        }
        finally
        {
            stripe.Release();
        }
    }
}

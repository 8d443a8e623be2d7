using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using HierTcn.Formats.State;
using HierTcn.StateStore.Internal;
using Microsoft.Extensions.Logging;

namespace HierTcn.StateStore;

public sealed partial class StateStoreEngine
{
    private readonly List<(Guid Token, long WalAddress)> _retained = [];
    private TimeSpan _recoveryTime;
    private long _replayed;
    private long _walEntriesLost;

    /// <summary>The checkpoint's commit cookie: int64 WAL address, int64 next WAL sequence number, uint64 the
    /// store-wide version counter. Checkpoints from before the last two fields have an 8-byte cookie.</summary>
    private const int CookieSize = 24;

    /// <summary>Newest usable checkpoint, then the WAL from that checkpoint's position. Damaged files are logged and
    /// skipped; when no checkpoint is usable although some exist (their states would be lost) it throws
    /// <see cref="StateStoreDamagedException"/> unless <paramref name="acceptLoss"/>.</summary>
    private void Recover(ILoggerFactory? loggerFactory, Func<Guid, CancellationToken, Task<string?>>? checkpointProbe, bool acceptLoss, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        Directory.CreateDirectory(_options.DataDirectory);
        MoveAsideLegacyWal();

        FasterStore? store = null;
        Guid recovered = Guid.Empty;
        long walFrom = 0, expectedSequence = -1;
        bool counterKnown = false;
        IReadOnlyList<Guid> tokens;
        using (var probe = FasterStore.Create(_options, _hlogDirectory, _checkpointDirectory, loggerFactory))
            tokens = probe.CheckpointTokens();
        foreach (var token in tokens)
        {
            if (CheckpointChecksums.Verify(_checkpointDirectory, token, _hlogDirectory, out _) is { } mismatch)
            {
                EngineLog.CheckpointUnusable(_logger, token, mismatch);
                continue;
            }
            if (checkpointProbe is not null && checkpointProbe(token, cancellationToken).GetAwaiter().GetResult() is { } unsafeReason)
            {
                EngineLog.CheckpointUnusable(_logger, token, unsafeReason);
                continue;
            }
            var candidate = FasterStore.Create(_options, _hlogDirectory, _checkpointDirectory, loggerFactory);
            try
            {
                candidate.Recover(token);
                var cookie = candidate.RecoveredCookie;
                if (cookie is not { Length: 8 or CookieSize })
                    throw new InvalidDataException("its commit cookie (the WAL position) is missing");
                walFrom = BinaryPrimitives.ReadInt64LittleEndian(cookie);
                if (cookie.Length == CookieSize)
                {
                    expectedSequence = BinaryPrimitives.ReadInt64LittleEndian(cookie.AsSpan(8));
                    _versionCounter = BinaryPrimitives.ReadUInt64LittleEndian(cookie.AsSpan(16));
                    counterKnown = true;
                }
                store = candidate;
                recovered = token;
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                EngineLog.CheckpointUnusable(_logger, token, ex.Message);
                candidate.Dispose();
            }
        }
        if (store is null && tokens.Count > 0)
        {
            bool walWhole = WalHoldsEveryWrite();
            if (!acceptLoss && !walWhole)
            {
                throw new StateStoreDamagedException(
                    $"none of the {tokens.Count} checkpoints in {_checkpointDirectory} is usable and the write-ahead log no longer reaches back to the first write, so opening would silently lose every state not written since",
                    RepairCommandFor(_options.DataDirectory));
            }
            string movedTo = MoveAside([_hlogDirectory, _checkpointDirectory]);
            EngineLog.NoUsableCheckpoint(_logger, tokens.Count, walWhole ? "it holds every write" : "states not in it are lost (repair)", movedTo);
            tokens = [];
        }
        store ??= FasterStore.Create(_options, _hlogDirectory, _checkpointDirectory, loggerFactory);
        _store = store;
        foreach (var token in tokens)
        {
            if (token != recovered)
                Purge(token);
        }
        RemoveLeftoverCheckpoints(recovered);
        if (recovered != Guid.Empty)
            _retained.Add((recovered, walFrom));

        var (wal, scan, marker, markerProblem) = WriteAheadLog.Open(_walDirectory, WalSegmentBits, walFrom, expectedSequence, ReplayEntry);
        _wal = wal;
        ReportWalScan(scan, marker, markerProblem);
        if (!counterKnown && _store.LogBytes > 0)
        {
            // A checkpoint without the counter (older format): the largest version stored bounds every version issued.
            _store.ForEachLive((key, value) =>
            {
                if (StoredValue.Check(key, value) is null)
                    RaiseVersionCounter(StoredValue.Version(value));
                return true;
            });
        }
        _recoveryTime = Stopwatch.GetElapsedTime(start);
        EngineLog.Opened(_logger, _options.DataDirectory, (long)_recoveryTime.TotalMilliseconds,
            recovered == Guid.Empty ? "none" : recovered.ToString(), _replayed, walFrom);
    }

    /// <summary>True when the WAL was never truncated: its first segment is there, or it never had an entry.</summary>
    private bool WalHoldsEveryWrite()
    {
        var segments = WalSegments.List(_walDirectory);
        if (segments.Count > 0)
            return segments.ContainsKey(0);
        return WalTailMarker.Read(_walDirectory, out var problem) is null && problem is null;
    }

    private int WalSegmentBits => Math.Min(_options.SegmentSizeBits, WriteAheadLog.MaxSegmentSizeBits);

    private void ReplayEntry(long address, byte[] entry)
    {
        if (!WalRecord.TryDecode(entry, out byte kind, out long writtenAtMs, out ulong version, out var key, out var state)
            || (kind == WalRecord.Put && !UserStateSerializer.IsIntact(state)))
        {
            EngineLog.WalEntrySkipped(_logger, address, "malformed entry");
            _walEntriesLost++;
            return;
        }
        var keyBytes = key.ToArray();
        if (kind == WalRecord.Delete)
            _store.Delete(keyBytes);
        else
            _store.Upsert(keyBytes, StoredValue.Encode(keyBytes, address, 0, writtenAtMs, state));
        RaiseVersionCounter(version);
        _replayed++;
    }

    private void ReportWalScan(WalScanResult scan, (long Tail, long LastSequence)? marker, string? markerProblem)
    {
        foreach (var damage in scan.Damages)
        {
            if (damage.EntriesFollow)
                EngineLog.WalDamaged(_logger, damage.Address, damage.Bytes, damage.Reason);
            else
                EngineLog.WalEndUnreadable(_logger, damage.Address, damage.Bytes, damage.Reason);
        }
        if (markerProblem is not null)
            EngineLog.WalMarkerUnreadable(_logger, markerProblem);
        if (marker is { } m && m.LastSequence >= scan.NextSequence)
            EngineLog.WalEndsBeforeMarker(_logger, scan.Tail, m.Tail, m.LastSequence - scan.NextSequence + 1);
        _walEntriesLost += scan.LostEntries;
        if (_walEntriesLost > 0)
            EngineLog.WalEntriesLost(_logger, _walEntriesLost, scan.Entries);
    }

    /// <summary>Deletes checkpoint folders of tokens other than <paramref name="keep"/> that FASTER does not list
    /// (an index checkpoint whose log checkpoint never completed, left by a kill during a checkpoint).</summary>
    private void RemoveLeftoverCheckpoints(Guid keep)
    {
        foreach (var kind in new[] { "index-checkpoints", "cpr-checkpoints" })
        {
            var folder = Path.Combine(_checkpointDirectory, kind);
            if (!Directory.Exists(folder))
                continue;
            foreach (var dir in Directory.EnumerateDirectories(folder))
            {
                if (Guid.TryParse(Path.GetFileName(dir), out var token) && token != keep)
                {
                    Directory.Delete(dir, recursive: true);
                    EngineLog.LeftoverCheckpointRemoved(_logger, dir);
                }
            }
        }
        foreach (var token in CheckpointChecksums.Listed(_checkpointDirectory).ToList())
        {
            if (token != keep)
                CheckpointChecksums.Delete(_checkpointDirectory, token);
        }
    }

    private void Purge(Guid token)
    {
        _store.Purge(token);
        CheckpointChecksums.Delete(_checkpointDirectory, token);
    }

    /// <summary>A WAL written by FASTER's log (before the store's own framing) holds nothing that a clean stop did not
    /// checkpoint; it is moved aside, not read.</summary>
    private void MoveAsideLegacyWal()
    {
        if (!Directory.Exists(_walDirectory)
            || !Directory.EnumerateFiles(_walDirectory).Any(f => Path.GetFileName(f).StartsWith("wal.log.", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("commit.", StringComparison.Ordinal)))
            return;
        string movedTo = MoveAside([_walDirectory]);
        EngineLog.LegacyWalMovedAside(_logger, movedTo);
    }

    /// <summary>Moves <paramref name="paths"/> into <c>DataDirectory/damaged-TIME/</c>; returns that folder.</summary>
    private string MoveAside(IEnumerable<string> paths)
    {
        string target = Path.Combine(_options.DataDirectory, "damaged-" + _clock.GetUtcNow().ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(target);
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
                Directory.Move(path, Path.Combine(target, Path.GetFileName(path)));
        }
        return target;
    }

    private static string RepairCommandFor(string dataDirectory)
        => $"stop the shard, then run 'dotnet HierTcn.StateStore.Server.dll repair --data {dataDirectory}' (with the shard's --StateStore settings): it moves the store log and checkpoints aside and rebuilds the store from the write-ahead log, so states not written since the log's start begin cold";

    private void RaiseVersionCounter(ulong version)
    {
        ulong seen = Volatile.Read(ref _versionCounter);
        while (version > seen)
        {
            ulong previous = Interlocked.CompareExchange(ref _versionCounter, version, seen);
            if (previous == seen)
                return;
            seen = previous;
        }
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using HierTcn.Formats.State;
using HierTcn.StateStore.Internal;
using Microsoft.Extensions.Logging;

namespace HierTcn.StateStore;

public sealed partial class StateStoreEngine
{
    private readonly List<(Guid Token, long WalAddress)> _retained = [];
    private TimeSpan _recoveryTime;
    private long _replayed;
    private int _recoveryProblems;
    private long _keysAffected;
    private Guid _orphanedCheckpoint;
    private bool _walRestarted;

    /// <summary>Newest usable checkpoint, then the WAL from that checkpoint's position. Never throws for damaged
    /// files: each is logged and skipped.</summary>
    private void Recover(ILoggerFactory? loggerFactory, Func<FASTER.core.IDevice, FASTER.core.IDevice>? wrapWalDevice)
    {
        long start = Stopwatch.GetTimestamp();
        Directory.CreateDirectory(_options.DataDirectory);
        _wal = OpenWal(wrapWalDevice, out string? walFilesMovedTo);

        FasterStore? store = null;
        Guid recovered = Guid.Empty;
        long walFrom = _wal.BeginAddress;
        IReadOnlyList<Guid> tokens;
        using (var probe = FasterStore.Create(_options, _hlogDirectory, _checkpointDirectory, loggerFactory))
            tokens = probe.CheckpointTokens();
        // A directory written before the engine kept checksums has no checksum folder: its checkpoints are tried unchecked.
        bool verify = _checksums.AnyKept;
        long coveredBegin = 0, coveredEnd = 0;
        if (verify)
        {
            // FASTER lists tokens by folder time, which does not always order checkpoints taken in the same instant;
            // the range a checkpoint covers only grows, so the newest is tried (and its damage reported) first.
            tokens = [.. tokens.Select((token, i) => (token, i)).OrderByDescending(t => _checksums.LogEndOf(t.token)).ThenBy(t => t.i).Select(t => t.token)];
        }
        if (!verify && tokens.Count > 0)
            EngineLog.CheckpointsUnchecked(_logger, tokens.Count);
        foreach (var token in tokens)
        {
            // FASTER trusts every byte it reads at recovery (damaged bytes can crash the process), so the checkpoint
            // files and the store log it covers are checked first.
            if (verify && _checksums.Verify(token, out coveredBegin, out coveredEnd) is { } problem)
            {
                EngineLog.CheckpointUnusable(_logger, token, problem);
                _recoveryProblems++;
                continue;
            }
            var candidate = FasterStore.Create(_options, _hlogDirectory, _checkpointDirectory, loggerFactory);
            try
            {
                candidate.Recover(token);
                var cookie = candidate.RecoveredCookie;
                if (cookie is not { Length: 8 })
                    throw new InvalidDataException("its commit cookie (the WAL position) is missing");
                walFrom = BinaryPrimitives.ReadInt64LittleEndian(cookie);
                store = candidate;
                recovered = token;
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                EngineLog.CheckpointUnusable(_logger, token, ex.Message);
                _recoveryProblems++;
                candidate.Dispose();
            }
        }
        if (store is null && tokens.Count > 0)
        {
            if (_wal.BeginAddress > WalFirstAddress || File.Exists(WalIncompleteMarker))
            {
                throw new StateStoreDamagedException(
                    $"none of the {tokens.Count} checkpoints under {_checkpointDirectory} is intact (each is logged with what is wrong) and the "
                    + $"write-ahead log no longer holds every write (it begins at address {_wal.BeginAddress}, or was restarted after damage), so every state last written "
                    + "before that would be lost; the store refuses to open instead",
                    RepairCommandFor(_options.DataDirectory));
            }
            // The WAL still holds every write ever made: rebuild from it alone, nothing is lost.
            string aside = MoveAside(_options.DataDirectory, _hlogDirectory, _checkpointDirectory);
            EngineLog.RebuildingFromWal(_logger, tokens.Count, aside);
        }
        if (store is null)
        {
            store = FasterStore.Create(_options, _hlogDirectory, _checkpointDirectory, loggerFactory);
        }
        _store = store;
        _checksums.ForgetFrom(_store.LogTailAddress);
        foreach (var token in tokens)
        {
            if (token != recovered && Directory.Exists(_checkpointDirectory))
            {
                _store.Purge(token);
                _checksums.Delete(token);
            }
        }
        if (recovered != Guid.Empty)
        {
            _retained.Add((recovered, walFrom));
            // FASTER's recovery marks the records of versions after the checkpoint invalid and writes those pages
            // back: the recovered checkpoint's own log bytes change, so its checksums are taken again.
            if (verify)
            {
                _checksums.ForgetFrom(coveredBegin);
                _checksums.Write(recovered, coveredBegin, coveredEnd);
            }
        }

        if (walFilesMovedTo is not null || walFrom > _wal.TailAddress)
        {
            // FASTER could not open the WAL, or opened it shorter than the checkpoint's position: its commit records
            // are lost or damaged, not its entries. Read the entries from the files themselves, up to the end of the
            // last intact one, then continue on a new WAL (the old one's addresses no longer match FASTER's).
            _recoveryProblems++;
            if (walFilesMovedTo is null)
            {
                EngineLog.WalCommitRecordsLost(_logger, _wal.TailAddress, walFrom);
                _wal.DisposeAsync().AsTask().GetAwaiter().GetResult();
                walFilesMovedTo = MoveWalAside();
                _wal = WriteAheadLog.Open(_walDirectory, _options.StorePageSizeBits, _options.SegmentSizeBits, wrapWalDevice);
            }
            _replayed = Replay(walFilesMovedTo, walFrom, WalFilesEnd(walFilesMovedTo), stepOver: false, guardVersions: true);
            // The new WAL does not hold the writes before it: it can never rebuild the store alone.
            File.WriteAllText(WalIncompleteMarker, $"started {_clock.GetUtcNow():o} after {walFilesMovedTo}; the writes before it are only in the checkpoints\n");
            _walRestarted = true;
            if (recovered != Guid.Empty)
            {
                // Its WAL position belongs to the old log: it must not be used with the new one.
                _retained.Clear();
                _orphanedCheckpoint = recovered;
            }
        }
        else
        {
            if (walFrom < _wal.BeginAddress)
            {
                EngineLog.WalTruncatedPastCheckpoint(_logger, _wal.BeginAddress, walFrom);
                _recoveryProblems++;
                walFrom = _wal.BeginAddress;
            }
            _replayed = Replay(_walDirectory, walFrom, _wal.TailAddress, stepOver: true, guardVersions: false);
        }
        _recoveryTime = Stopwatch.GetElapsedTime(start);
        EngineLog.Opened(_logger, _options.DataDirectory, (long)_recoveryTime.TotalMilliseconds,
            recovered == Guid.Empty ? "none" : recovered.ToString(), _replayed, walFrom);
    }

    /// <summary>Present in the WAL folder when the WAL was started over while the store held data (its commit records
    /// were lost): it does not reach back to the first write even though it was never truncated.</summary>
    private string WalIncompleteMarker => Path.Combine(_walDirectory, "incomplete");

    /// <summary>The address of the first entry of a write-ahead log never truncated.</summary>
    private const long WalFirstAddress = 64;

    internal static string RepairCommandFor(string dataDirectory)
        => $"dotnet HierTcn.StateStore.Server.dll repair --data {dataDirectory} (moves hlog/ and checkpoints/ to {dataDirectory}/damaged-TIME "
           + "and rebuilds the store from the write-ahead log alone: users whose last write is older than the log start over cold)";

    /// <summary>Moves the store log and checkpoint folders to a new <c>damaged-TIME</c> folder of the data directory.</summary>
    private static string MoveAside(string dataDirectory, string hlogDirectory, string checkpointDirectory)
    {
        string aside = Path.Combine(dataDirectory, "damaged-" + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(aside);
        foreach (var folder in new[] { hlogDirectory, checkpointDirectory })
        {
            if (Directory.Exists(folder))
                Directory.Move(folder, Path.Combine(aside, Path.GetFileName(folder)));
        }
        return aside;
    }

    private WriteAheadLog OpenWal(Func<FASTER.core.IDevice, FASTER.core.IDevice>? wrapWalDevice, out string? movedTo)
    {
        movedTo = null;
        try
        {
            return WriteAheadLog.Open(_walDirectory, _options.StorePageSizeBits, _options.SegmentSizeBits, wrapWalDevice);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            movedTo = MoveWalAside();
            EngineLog.WalUnreadable(_logger, _walDirectory, ex.Message, movedTo);
            return WriteAheadLog.Open(_walDirectory, _options.StorePageSizeBits, _options.SegmentSizeBits, wrapWalDevice);
        }
    }

    private string MoveWalAside()
    {
        string movedTo = _walDirectory + ".damaged-" + _clock.GetUtcNow().ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        Directory.Move(_walDirectory, movedTo);
        return movedTo;
    }

    /// <summary>The address just past the last byte of the WAL files in <paramref name="directory"/>.</summary>
    private long WalFilesEnd(string directory)
    {
        long end = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "wal.log.*"))
        {
            if (long.TryParse(Path.GetExtension(file).AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long segment))
                end = Math.Max(end, (segment << _options.SegmentSizeBits) + new FileInfo(file).Length);
        }
        return end;
    }

    /// <summary>Applies the WAL entries in [<paramref name="from"/>, <paramref name="to"/>) of the files in
    /// <paramref name="directory"/>. With <paramref name="stepOver"/> (the committed part of a healthy log), damage is
    /// reported and stepped over: every intact entry after it is still applied. <paramref name="guardVersions"/>
    /// (a log read past its lost commit records) applies a put only over an older version.</summary>
    private long Replay(string directory, long from, long to, bool stepOver, bool guardVersions)
    {
        long count = 0, entryBytes = 0;
        var damage = new List<WalScanner.Damage>();
        var scanner = new WalScanner(directory, _options.StorePageSizeBits, _options.SegmentSizeBits);
        foreach (var (address, entry) in scanner.Read(from, to, stepOver, IsPlausibleEntry, damage.Add))
        {
            WalRecord.TryDecode(entry, out byte kind, out long writtenAtMs, out var key, out var state);
            var keyBytes = FasterStore.PinnedKey(key);
            entryBytes += entry.Length + 12;
            if (kind == WalRecord.Delete)
            {
                _store.Delete(keyBytes);
            }
            else
            {
                if (guardVersions && _store.ReadAsync(keyBytes).AsTask().GetAwaiter().GetResult() is { } current
                    && StoredValue.Version(current) >= UserStateSerializer.ReadVersion(state))
                    continue;
                _store.Upsert(keyBytes, StoredValue.Encode(address, 0, writtenAtMs, state));
            }
            count++;
        }
        foreach (var region in damage)
        {
            long bytes = region.End - region.Start;
            // Entries destroyed in the region are counted at the mean size of those read; a region at the end of a
            // log read past its commit records is the log's end, not a loss.
            long lost = stepOver ? Math.Max(1, (long)Math.Ceiling(bytes / (count == 0 ? 256.0 : (double)entryBytes / count))) : 0;
            _recoveryProblems++;
            _keysAffected += lost;
            if (stepOver)
                EngineLog.WalDamaged(_logger, region.Start, region.Reason, bytes, lost);
            else
                EngineLog.WalEndedAt(_logger, region.Start, region.Reason, bytes);
        }
        return count;
    }

    private static bool IsPlausibleEntry(byte[] entry)
        => WalRecord.TryDecode(entry, out byte kind, out _, out _, out var state) && (kind == WalRecord.Delete || UserStateSerializer.IsIntact(state));
}

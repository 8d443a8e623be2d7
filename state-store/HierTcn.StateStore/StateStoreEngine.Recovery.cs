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

    /// <summary>Newest usable checkpoint, then the WAL from that checkpoint's position. Never throws for damaged
    /// files: each is logged and skipped.</summary>
    private void Recover(ILoggerFactory? loggerFactory, Func<FASTER.core.IDevice, FASTER.core.IDevice>? wrapWalDevice)
    {
        long start = Stopwatch.GetTimestamp();
        Directory.CreateDirectory(_options.DataDirectory);
        _wal = OpenWal(wrapWalDevice);

        FasterStore? store = null;
        Guid recovered = Guid.Empty;
        long walFrom = _wal.BeginAddress;
        IReadOnlyList<Guid> tokens;
        using (var probe = FasterStore.Create(_options, _hlogDirectory, _checkpointDirectory, loggerFactory))
            tokens = probe.CheckpointTokens();
        foreach (var token in tokens)
        {
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
                candidate.Dispose();
            }
        }
        if (store is null)
        {
            store = FasterStore.Create(_options, _hlogDirectory, _checkpointDirectory, loggerFactory);
            if (tokens.Count > 0)
                EngineLog.NoUsableCheckpoint(_logger, tokens.Count, _wal.BeginAddress);
        }
        _store = store;
        foreach (var token in tokens)
        {
            if (token != recovered)
                _store.Purge(token);
        }
        if (recovered != Guid.Empty)
            _retained.Add((recovered, walFrom));

        if (walFrom > _wal.TailAddress)
        {
            EngineLog.WalShorterThanCheckpoint(_logger, _wal.TailAddress, walFrom);
            walFrom = _wal.TailAddress;
        }
        if (walFrom < _wal.BeginAddress)
        {
            EngineLog.WalTruncatedPastCheckpoint(_logger, _wal.BeginAddress, walFrom);
            walFrom = _wal.BeginAddress;
        }
        _replayed = Replay(walFrom);
        _recoveryTime = Stopwatch.GetElapsedTime(start);
        EngineLog.Opened(_logger, _options.DataDirectory, (long)_recoveryTime.TotalMilliseconds,
            recovered == Guid.Empty ? "none" : recovered.ToString(), _replayed, walFrom);
    }

    private WriteAheadLog OpenWal(Func<FASTER.core.IDevice, FASTER.core.IDevice>? wrapWalDevice)
    {
        try
        {
            return WriteAheadLog.Open(_walDirectory, _options.StorePageSizeBits, _options.SegmentSizeBits, wrapWalDevice);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            string movedTo = _walDirectory + ".damaged-" + _clock.GetUtcNow().ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
            Directory.Move(_walDirectory, movedTo);
            EngineLog.WalUnreadable(_logger, _walDirectory, ex.Message, movedTo);
            return WriteAheadLog.Open(_walDirectory, _options.StorePageSizeBits, _options.SegmentSizeBits, wrapWalDevice);
        }
    }

    private long Replay(long from)
    {
        long count = 0;
        long tail = _wal.TailAddress;
        foreach (var (address, entry) in _wal.Read(from, (at, reason) => EngineLog.WalDamaged(_logger, at, reason, Math.Max(0, tail - at))))
        {
            if (!WalRecord.TryDecode(entry, out byte kind, out long writtenAtMs, out var key, out var state))
            {
                EngineLog.WalEntrySkipped(_logger, address, "malformed entry");
                continue;
            }
            if (kind == WalRecord.Put && !UserStateSerializer.IsIntact(state))
            {
                // Entries in the recovered tail page are not checksummed by FASTER on read; the state's own CRC is.
                EngineLog.WalDamaged(_logger, address, "an entry's state fails its checksum", Math.Max(0, tail - address));
                break;
            }
            var keyBytes = key.ToArray();
            if (kind == WalRecord.Delete)
                _store.Delete(keyBytes);
            else
                _store.Upsert(keyBytes, StoredValue.Encode(address, 0, writtenAtMs, state));
            count++;
        }
        return count;
    }
}

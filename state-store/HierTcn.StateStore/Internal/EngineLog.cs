using Microsoft.Extensions.Logging;

namespace HierTcn.StateStore.Internal;

/// <summary>The engine's log messages; event ids are stable (alerts key on them).</summary>
internal static partial class EngineLog
{
    [LoggerMessage(1, LogLevel.Information, "State store opened at {Directory} in {RecoveryMs} ms: checkpoint {Checkpoint}, {Replayed} WAL records replayed from address {WalFrom}")]
    public static partial void Opened(ILogger logger, string directory, long recoveryMs, string checkpoint, long replayed, long walFrom);

    [LoggerMessage(2, LogLevel.Warning, "Checkpoint {Token} is unusable ({Reason}); trying an older one")]
    public static partial void CheckpointUnusable(ILogger logger, Guid token, string reason);

    [LoggerMessage(3, LogLevel.Error, "No usable checkpoint among {Count}; recovering from the write-ahead log alone, from address {WalFrom}. States written before that address and not in the log are lost")]
    public static partial void NoUsableCheckpoint(ILogger logger, int count, long walFrom);

    [LoggerMessage(4, LogLevel.Warning, "Write-ahead log damaged at address {Address} ({Reason}); recovered to the last consistent state before it, {Discarded} bytes after it discarded")]
    public static partial void WalDamaged(ILogger logger, long address, string reason, long discarded);

    [LoggerMessage(5, LogLevel.Error, "The write-ahead log begins at {WalBegin}, after the checkpoint's position {CheckpointWal}; writes between them are lost")]
    public static partial void WalTruncatedPastCheckpoint(ILogger logger, long walBegin, long checkpointWal);

    [LoggerMessage(6, LogLevel.Debug, "Checkpoint {Token} taken at WAL address {WalAddress} in {ElapsedMs} ms")]
    public static partial void CheckpointTaken(ILogger logger, Guid token, long walAddress, long elapsedMs);

    [LoggerMessage(7, LogLevel.Error, "Checkpoint failed: {Reason}")]
    public static partial void CheckpointFailed(ILogger logger, string reason);

    [LoggerMessage(8, LogLevel.Error, "Writes refused from now on: {Reason}. Reads continue. Free disk space or repair the device, then restart the store")]
    public static partial void WriteFault(ILogger logger, string reason);

    [LoggerMessage(9, LogLevel.Warning, "Disk quota reached: {DiskBytes} bytes used of {MaxDiskBytes}; writes refused until usage drops")]
    public static partial void QuotaReached(ILogger logger, long diskBytes, long maxDiskBytes);

    [LoggerMessage(10, LogLevel.Information, "Disk usage back under quota: {DiskBytes} bytes of {MaxDiskBytes}; writes accepted again")]
    public static partial void QuotaCleared(ILogger logger, long diskBytes, long maxDiskBytes);

    [LoggerMessage(11, LogLevel.Information, "Expired {Count} users not written since {Cutoff:o}")]
    public static partial void Expired(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(12, LogLevel.Information, "Compacted the store log from {BeforeBytes} to {AfterBytes} bytes ({LiveRecords} live records)")]
    public static partial void Compacted(ILogger logger, long beforeBytes, long afterBytes, long liveRecords);

    [LoggerMessage(13, LogLevel.Error, "The write-ahead log at {Directory} cannot be opened ({Reason}); it was moved to {MovedTo} and a new one started. Writes not in the last checkpoint are lost")]
    public static partial void WalUnreadable(ILogger logger, string directory, string reason, string movedTo);

    [LoggerMessage(14, LogLevel.Error, "Housekeeping failed: {Reason}")]
    public static partial void HousekeepingFailed(ILogger logger, string reason);

    [LoggerMessage(16, LogLevel.Error, "The stored state of {Key} is damaged: {Reason}")]
    public static partial void StoredStateDamaged(ILogger logger, string key, string reason);

    [LoggerMessage(17, LogLevel.Error, "The write-ahead log ends at {WalTail}, before the checkpoint's position {CheckpointWal}: its commit records are damaged or missing. States written after the checkpoint are lost; the store continues from the checkpoint")]
    public static partial void WalShorterThanCheckpoint(ILogger logger, long walTail, long checkpointWal);

    [LoggerMessage(15, LogLevel.Warning, "Skipped a malformed WAL entry at address {Address}: {Reason}")]
    public static partial void WalEntrySkipped(ILogger logger, long address, string reason);
}

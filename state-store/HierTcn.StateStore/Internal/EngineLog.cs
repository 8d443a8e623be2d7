using Microsoft.Extensions.Logging;

namespace HierTcn.StateStore.Internal;

/// <summary>The engine's log messages; event ids are stable (alerts key on them).</summary>
internal static partial class EngineLog
{
    [LoggerMessage(1, LogLevel.Information, "State store opened at {Directory} in {RecoveryMs} ms: checkpoint {Checkpoint}, {Replayed} WAL records replayed from address {WalFrom}")]
    public static partial void Opened(ILogger logger, string directory, long recoveryMs, string checkpoint, long replayed, long walFrom);

    [LoggerMessage(2, LogLevel.Warning, "Checkpoint {Token} is unusable ({Reason}); trying an older one")]
    public static partial void CheckpointUnusable(ILogger logger, Guid token, string reason);

    [LoggerMessage(4, LogLevel.Error, "Write-ahead log damaged at address {Address} ({Reason}): {Bytes} bytes unreadable, about {KeysAffected} writes in them lost (those keys keep an older state unless written again later in the log); every intact entry after the damage was applied")]
    public static partial void WalDamaged(ILogger logger, long address, string reason, long bytes, long keysAffected);

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

    [LoggerMessage(17, LogLevel.Error, "The write-ahead log ends at {WalTail}, before the checkpoint's position {CheckpointWal}: its commit records are damaged or missing. Its entries are read from the files up to the last intact one, then a new write-ahead log is started")]
    public static partial void WalCommitRecordsLost(ILogger logger, long walTail, long checkpointWal);

    [LoggerMessage(21, LogLevel.Warning, "The write-ahead log read without commit records ends at address {Address} ({Reason}; {Bytes} bytes after it not applied). Writes acknowledged after that point, if any, are lost")]
    public static partial void WalEndedAt(ILogger logger, long address, string reason, long bytes);

    [LoggerMessage(15, LogLevel.Warning, "Skipped a malformed WAL entry at address {Address}: {Reason}")]
    public static partial void WalEntrySkipped(ILogger logger, long address, string reason);

    [LoggerMessage(18, LogLevel.Critical, "The state store refuses to open: {Reason}. Repair: {RepairCommand}")]
    public static partial void RefusingToOpen(ILogger logger, string reason, string repairCommand);

    [LoggerMessage(19, LogLevel.Error, "None of the {Count} checkpoints is intact; the write-ahead log still holds every write, so the store is rebuilt from it alone (no loss). The damaged files were moved to {MovedTo}")]
    public static partial void RebuildingFromWal(ILogger logger, int count, string movedTo);

    [LoggerMessage(20, LogLevel.Warning, "{Count} checkpoints have no checksums (written by an older version); they are recovered unchecked, and checksummed from the next checkpoint on")]
    public static partial void CheckpointsUnchecked(ILogger logger, int count);
}

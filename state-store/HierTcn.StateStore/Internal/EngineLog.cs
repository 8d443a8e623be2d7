using Microsoft.Extensions.Logging;

namespace HierTcn.StateStore.Internal;

/// <summary>The engine's log messages; event ids are stable (alerts key on them).</summary>
internal static partial class EngineLog
{
    [LoggerMessage(1, LogLevel.Information, "State store opened at {Directory} in {RecoveryMs} ms: checkpoint {Checkpoint}, {Replayed} WAL records replayed from address {WalFrom}")]
    public static partial void Opened(ILogger logger, string directory, long recoveryMs, string checkpoint, long replayed, long walFrom);

    [LoggerMessage(2, LogLevel.Warning, "Checkpoint {Token} is unusable ({Reason}); trying an older one")]
    public static partial void CheckpointUnusable(ILogger logger, Guid token, string reason);

    [LoggerMessage(3, LogLevel.Error, "No usable checkpoint among {Count}; the store log and checkpoints were moved to {MovedTo} and the store is rebuilt from the write-ahead log alone: {Consequence}")]
    public static partial void NoUsableCheckpoint(ILogger logger, int count, string consequence, string movedTo);

    [LoggerMessage(4, LogLevel.Error, "Write-ahead log damaged at address {Address}: {Bytes} bytes unreadable ({Reason}); skipped, the entries after it are replayed")]
    public static partial void WalDamaged(ILogger logger, long address, long bytes, string reason);

    [LoggerMessage(5, LogLevel.Warning, "The write-ahead log's last {Bytes} bytes, from address {Address}, are unreadable ({Reason}): a write cut by a kill, or damage; cut off")]
    public static partial void WalEndUnreadable(ILogger logger, long address, long bytes, string reason);

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

    [LoggerMessage(13, LogLevel.Warning, "A write-ahead log in the older format (FASTER's log) was moved to {MovedTo} unread; a clean stop checkpoints everything in it")]
    public static partial void LegacyWalMovedAside(ILogger logger, string movedTo);

    [LoggerMessage(14, LogLevel.Error, "Housekeeping failed: {Reason}")]
    public static partial void HousekeepingFailed(ILogger logger, string reason);

    [LoggerMessage(15, LogLevel.Warning, "Skipped a malformed WAL entry at address {Address}: {Reason}")]
    public static partial void WalEntrySkipped(ILogger logger, long address, string reason);

    [LoggerMessage(16, LogLevel.Error, "The stored state of {Key} is damaged ({Reason}); treated as absent, so the user starts cold")]
    public static partial void StoredStateDamaged(ILogger logger, string key, string reason);

    [LoggerMessage(17, LogLevel.Error, "The write-ahead log ends at address {WalTail}, but its commit file says writes were durable up to {MarkerTail}: the last {Lost} acknowledged entries are missing (cut or damaged)")]
    public static partial void WalEndsBeforeMarker(ILogger logger, long walTail, long markerTail, long lost);

    [LoggerMessage(18, LogLevel.Warning, "The write-ahead log's commit file is unreadable ({Reason}); its end cannot be checked this time")]
    public static partial void WalMarkerUnreadable(ILogger logger, string reason);

    [LoggerMessage(19, LogLevel.Error, "Recovery lost {Lost} write-ahead log entries to damage ({Replayed} read); the keys they wrote hold an older state or none")]
    public static partial void WalEntriesLost(ILogger logger, long lost, long replayed);

    [LoggerMessage(20, LogLevel.Information, "Removed the leftover checkpoint folder {Folder} (a checkpoint that never completed)")]
    public static partial void LeftoverCheckpointRemoved(ILogger logger, string folder);
}

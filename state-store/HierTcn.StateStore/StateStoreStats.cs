namespace HierTcn.StateStore;

/// <summary>A point-in-time view of the engine for metrics and logs.</summary>
/// <param name="StoreLogBytes">Bytes of the FASTER hybrid log between its begin and tail addresses.</param>
/// <param name="WalBytes">Bytes of the write-ahead log not yet truncated.</param>
/// <param name="DiskBytes">Bytes of every file under the data directory, as of the last housekeeping pass.</param>
/// <param name="LastCheckpointUtc">When the last checkpoint completed; null before the first.</param>
/// <param name="RecoveryTime">How long opening (checkpoint recovery plus WAL replay) took.</param>
/// <param name="ReplayedRecords">WAL records replayed at open.</param>
/// <param name="WriteFault">Why writes are refused; null while they are accepted.</param>
public readonly record struct StateStoreStats(
    long StoreLogBytes,
    long WalBytes,
    long DiskBytes,
    DateTimeOffset? LastCheckpointUtc,
    TimeSpan RecoveryTime,
    long ReplayedRecords,
    string? WriteFault)
{
    /// <summary>Stored records found damaged (failing their checksum) since the engine opened; each was treated as
    /// absent.</summary>
    public long DamagedRecords { get; init; }

    /// <summary>Why the WAL refuses writes (an I/O error; permanent until restart); null while it is healthy. Unlike a
    /// disk quota (also in <see cref="WriteFault"/>), it does not clear by itself.</summary>
    public string? WalFault { get; init; }

    /// <summary>WAL entries the last recovery found missing or unreadable (damage); their keys hold an older state.</summary>
    public long WalEntriesLost { get; init; }
}

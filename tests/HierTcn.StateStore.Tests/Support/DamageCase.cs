namespace HierTcn.StateStore.Tests.Support;

/// <summary>The files of a data directory that the damage matrix damages, one kind at a time.</summary>
public enum DamagedFile
{
    /// <summary>The WAL's last segment, <c>wal/00000000.wal</c>; "middle" is the middle of what was written since the
    /// newest checkpoint (the part recovery reads).</summary>
    Wal,

    /// <summary>The WAL's commit file, <c>wal/tail</c>.</summary>
    WalCommitFile,

    /// <summary>The store log, <c>hlog/hlog.log.0</c>.</summary>
    StoreLog,

    /// <summary>The newest index checkpoint's hash table, <c>checkpoints/index-checkpoints/NEWEST/ht.dat.0</c>.</summary>
    IndexCheckpoint,

    /// <summary>The newest log checkpoint's metadata, <c>checkpoints/cpr-checkpoints/NEWEST/info.dat.0</c>.</summary>
    LogCheckpoint,
}

/// <summary>How the file is damaged: 4 KiB (or, for the 20-byte commit file, 8 bytes) cut off its end, overwritten
/// with random bytes at its end or in its middle, or the file emptied.</summary>
public enum Damage
{
    TruncatedTail,
    RandomAtEnd,
    RandomInMiddle,
    Emptied,
}

/// <summary>What the damage matrix expects of a cell (state-store/README.md, "Damaged files").</summary>
public enum DamageOutcome
{
    /// <summary>Opens; every acknowledged write is there.</summary>
    NoLoss,

    /// <summary>Opens; writes the damage destroyed are missing (an older acknowledged state or none), and every one of
    /// them is counted (WAL entries lost, damaged records) and logged.</summary>
    LossCounted,
}

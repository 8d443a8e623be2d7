using HierTcn.Formats.State;

namespace HierTcn.StateStore;

/// <summary>Configuration of a <see cref="StateStoreEngine"/>. Every default is the one used when the property is
/// not set; <see cref="Validate"/> lists every problem at once.</summary>
public sealed class StateStoreOptions
{
    /// <summary>Directory holding the store (hlog/, checkpoints/, wal/). Required; created when missing.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>FASTER hash index size in buckets (64 bytes each, 7 keys per bucket before overflow); a power of two.
    /// Default 2^20 (64 MiB), right for about 4 million users.</summary>
    public long IndexBuckets { get; set; } = 1L << 20;

    /// <summary>Memory for the in-memory part of the FASTER log, log2 bytes. Default 28 (256 MiB); older records
    /// are read from disk.</summary>
    public int StoreMemorySizeBits { get; set; } = 28;

    /// <summary>FASTER log page size, log2 bytes. Default 22 (4 MiB); a record must fit in a page.</summary>
    public int StorePageSizeBits { get; set; } = 22;

    /// <summary>Size of one log file segment (store log and WAL), log2 bytes. Default 28 (256 MiB). Truncation frees
    /// whole segments, so smaller segments free disk sooner.</summary>
    public int SegmentSizeBits { get; set; } = 28;

    /// <summary>Largest serialized user state accepted, bytes. Default 1 MiB.</summary>
    public int MaxStateBytes { get; set; } = 1 << 20;

    /// <summary>Time between checkpoints (taken only when something was written). Default 30 s. Recovery replays
    /// the WAL written since the last checkpoint, so this bounds recovery time.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A user not written for longer than this is deleted by housekeeping. Default 30 days;
    /// <see cref="TimeSpan.Zero"/> disables expiry.</summary>
    public TimeSpan UserTtl { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Time between housekeeping passes (expiry, compaction, disk usage). Default 5 minutes.</summary>
    public TimeSpan HousekeepingInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Compaction runs when the store log is larger than this many times the bytes of its live records
    /// (estimated) and larger than <see cref="CompactionMinBytes"/>. Default 2.</summary>
    public double CompactionRatio { get; set; } = 2.0;

    /// <summary>Store logs smaller than this are never compacted. Default 64 MiB.</summary>
    public long CompactionMinBytes { get; set; } = 64L << 20;

    /// <summary>Disk quota for the data directory, bytes; 0 means none. Writes are refused (reads go on) while the
    /// directory holds more, as measured by housekeeping. Default 0.</summary>
    public long MaxDiskBytes { get; set; }

    /// <summary>Number of lock stripes serializing writers of the same key. Default 4096; a power of two.</summary>
    public int LockStripes { get; set; } = 4096;

    /// <summary>The user state record format written (stored, and answered by the shard server): 2 (default,
    /// <c>UserStateSerializer.FormatVersion</c>) or 1, which builds from before format 2 read. Format 1 drops the open
    /// session's item times, start, event ids and the late bound (state-store/README.md, "Rolling upgrade of the record
    /// format"); set it while such builds still serve, then go back to 2.</summary>
    public int WriteRecordFormat { get; set; } = UserStateSerializer.FormatVersion;

    /// <summary>Returns every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
            errors.Add("DataDirectory is required");
        if (IndexBuckets < 64 || (IndexBuckets & (IndexBuckets - 1)) != 0)
            errors.Add($"IndexBuckets is {IndexBuckets}; it must be a power of two, at least 64");
        if (StorePageSizeBits is < 12 or > 30)
            errors.Add($"StorePageSizeBits is {StorePageSizeBits}; allowed 12..30");
        if (StoreMemorySizeBits < StorePageSizeBits + 1 || StoreMemorySizeBits > 40)
            errors.Add($"StoreMemorySizeBits is {StoreMemorySizeBits}; it must be at least StorePageSizeBits + 1 ({StorePageSizeBits + 1}) and at most 40");
        if (SegmentSizeBits < StorePageSizeBits || SegmentSizeBits > 40)
            errors.Add($"SegmentSizeBits is {SegmentSizeBits}; it must be at least StorePageSizeBits ({StorePageSizeBits}) and at most 40");
        if (MaxStateBytes < 64 || MaxStateBytes > (1 << StorePageSizeBits) / 2)
            errors.Add($"MaxStateBytes is {MaxStateBytes}; allowed 64..{(1 << StorePageSizeBits) / 2} (half a page)");
        if (CheckpointInterval <= TimeSpan.Zero)
            errors.Add($"CheckpointInterval is {CheckpointInterval}; it must be positive");
        if (UserTtl < TimeSpan.Zero)
            errors.Add($"UserTtl is {UserTtl}; it must be zero (no expiry) or positive");
        if (HousekeepingInterval <= TimeSpan.Zero)
            errors.Add($"HousekeepingInterval is {HousekeepingInterval}; it must be positive");
        if (CompactionRatio <= 1.0)
            errors.Add($"CompactionRatio is {CompactionRatio}; it must be greater than 1");
        if (CompactionMinBytes < 0)
            errors.Add($"CompactionMinBytes is {CompactionMinBytes}; it cannot be negative");
        if (MaxDiskBytes < 0)
            errors.Add($"MaxDiskBytes is {MaxDiskBytes}; it cannot be negative (0 means no quota)");
        if (WriteRecordFormat < UserStateSerializer.OldestFormatVersion || WriteRecordFormat > UserStateSerializer.FormatVersion)
            errors.Add($"WriteRecordFormat is {WriteRecordFormat}; allowed {UserStateSerializer.OldestFormatVersion} or {UserStateSerializer.FormatVersion}");
        if (LockStripes < 1 || (LockStripes & (LockStripes - 1)) != 0)
            errors.Add($"LockStripes is {LockStripes}; it must be a power of two");
        return errors;
    }

    /// <summary>A copy with <see cref="DataDirectory"/> replaced.</summary>
    public StateStoreOptions WithDataDirectory(string dataDirectory)
    {
        var copy = (StateStoreOptions)MemberwiseClone();
        copy.DataDirectory = dataDirectory;
        return copy;
    }
}

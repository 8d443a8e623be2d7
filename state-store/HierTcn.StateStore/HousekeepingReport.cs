namespace HierTcn.StateStore;

/// <summary>What one housekeeping pass did.</summary>
/// <param name="Expired">Users deleted because they were not written within the TTL.</param>
/// <param name="LiveRecords">Users kept.</param>
/// <param name="Compacted">Whether the store log was compacted.</param>
/// <param name="LogBytesBefore">Store log bytes before the pass.</param>
/// <param name="LogBytesAfter">Store log bytes after the pass.</param>
public readonly record struct HousekeepingReport(int Expired, long LiveRecords, bool Compacted, long LogBytesBefore, long LogBytesAfter);

namespace HierTcn.StateStore.Internal;

/// <summary>What a recovery scan of the WAL found.</summary>
/// <param name="Tail">End of the last readable entry (at least the scan's start): where writing resumes.</param>
/// <param name="NextSequence">Sequence number of the next entry to write.</param>
/// <param name="Entries">Entries read and handed over.</param>
/// <param name="LostEntries">Entries known to be missing: gaps in the sequence numbers (damaged entries, damaged
/// regions, missing segments) and entries the commit file says were durable past the readable end.</param>
/// <param name="Damages">Unreadable regions, in address order.</param>
internal sealed record WalScanResult(long Tail, long NextSequence, long Entries, long LostEntries, IReadOnlyList<WalDamage> Damages);

namespace HierTcn.StateStore.Internal;

/// <summary>A region of the WAL that holds no readable entry: where, how long, why, and whether any entry was found
/// after it (false: it is the WAL's end, which also is where a write cut by a kill ends up).</summary>
internal readonly record struct WalDamage(long Address, long Bytes, string Reason, bool EntriesFollow);

namespace HierTcn.Security;

/// <summary>What a caller may do. Reads and writes are granted separately; a caller that does both holds both.</summary>
[Flags]
public enum CallerRoles
{
    /// <summary>No role: only public methods (health).</summary>
    None = 0,

    /// <summary>Read methods (Recommend, GetUserEmbedding; the store's Get, BatchGet).</summary>
    Read = 1,

    /// <summary>Write methods (ObserveEvents, EndSession, Backfill, CountClicks; the store's Put, CompareAndSwap, Delete, Apply).</summary>
    Write = 2,
}

namespace HierTcn.StateStore;

/// <summary>Outcome of a state store operation. Expected outcomes are values, not exceptions.</summary>
public enum StoreStatus
{
    /// <summary>Done; for writes, durable (it survives the process being killed).</summary>
    Ok = 0,

    /// <summary>No state is stored under the key.</summary>
    NotFound = 1,

    /// <summary>Compare-and-swap found another version; the result carries the current one (0: absent).</summary>
    VersionMismatch = 2,

    /// <summary>The store refuses writes (disk full, disk quota reached, I/O error); reads still work. The result's
    /// error says why.</summary>
    WritesRefused = 3,

    /// <summary>The request is invalid (for example a state larger than the configured maximum); the error says why.</summary>
    InvalidArgument = 4,

    /// <summary>The store (or the shard holding the key) cannot be reached.</summary>
    Unavailable = 5,

    /// <summary>The stored state fails its checksum (damaged on disk). A Put or Delete replaces it.</summary>
    Damaged = 6,
}

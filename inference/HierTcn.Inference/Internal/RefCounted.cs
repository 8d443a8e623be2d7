namespace HierTcn.Inference.Internal;

/// <summary>
/// Reference counting for hot swap: the owner holds one reference from construction; each request takes one with
/// <see cref="TryAcquire"/> and gives it back with <see cref="Release"/>. <see cref="Retire"/> drops the owner's
/// reference; whoever releases the last one runs <see cref="Free"/>, so a retired object lives exactly as long as
/// requests still use it. Thread-safe.
/// </summary>
internal abstract class RefCounted
{
    private int _refs = 1;
    private int _retired;

    /// <summary>Takes a reference; false once the object has been freed (the caller reads the current one again).</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int r = Volatile.Read(ref _refs);
            if (r == 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _refs, r + 1, r) == r)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            Free();
        }
    }

    /// <summary>Drops the owner's reference (once).</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0)
        {
            Release();
        }
    }

    /// <summary>References held now, the owner's included (0 once freed); for tests and diagnostics.</summary>
    public int References => Volatile.Read(ref _refs);

    /// <summary>True once <see cref="Free"/> has run.</summary>
    public bool IsFreed => Volatile.Read(ref _refs) == 0;

    protected abstract void Free();
}

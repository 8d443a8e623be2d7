namespace HierTcn.Inference.Internal;

/// <summary>
/// The in-pod cache of one model version's incremental TCN state per user: the buffers the step graph left after the
/// user's last embedded row, that row's user embedding, and what they were computed from (the mapped snapshot, high-level
/// state, session item count and the listed session items). Direct-mapped by user id, fixed capacity: a colliding user
/// overwrites the slot. An entry is used only when the request's state continues it (same snapshot, same high-level
/// state, and the session only grown at its end: the request's listed items, less those added since, are the last of
/// the entry's); anything else (an event inserted into the session out of order, a closed session) is a miss, which
/// the caller answers by priming the buffers from the session window. Thread-safe (a lock per slot).
/// </summary>
internal sealed class TcnStepCache
{
    private readonly Entry?[] _slots;
    private readonly int _bufferSize;
    private readonly int _dim;

    /// <param name="capacity">Slots (at least 1).</param>
    /// <param name="bufferSize">Floats of TCN buffers per user.</param>
    /// <param name="dim">Floats of a user embedding.</param>
    public TcnStepCache(int capacity, int bufferSize, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _slots = new Entry?[capacity];
        _bufferSize = bufferSize;
        _dim = dim;
    }

    public int Capacity => _slots.Length;

    /// <summary>Empties every slot (after the warm-up's made-up users; not while requests run).</summary>
    public void Clear() => Array.Clear(_slots);

    /// <summary>Slots that hold a user (for tests and diagnostics; counts while requests may change it).</summary>
    public int Occupied => _slots.Count(e => e is not null);

    /// <summary>Bytes one cached user takes (buffers, embedding, high-level state copy, the listed session items of at
    /// most <paramref name="windowItems"/>, bookkeeping).</summary>
    public static long EntryBytes(int bufferSize, int dim, int stateSize, int windowItems)
        => 4L * (bufferSize + dim + stateSize) + 8L * windowItems + 112;

    /// <summary>When the cached entry of <paramref name="job"/>'s user continues its state, copies the embedding into
    /// <paramref name="embedding"/> and returns true; <paramref name="newItems"/> are then the session items added since
    /// the entry, and only when there are some are the buffers copied into <paramref name="buffers"/> (empty: the
    /// embedding is current and the buffers are not needed, which saves copying them on every request).</summary>
    public bool TryResume(EmbedJob job, ReadOnlySpan<float> hidden, Span<float> buffers, Span<float> embedding, out ArraySegment<long> newItems)
    {
        newItems = default;
        var entry = _slots[Slot(job.UserId)];
        if (entry is null)
        {
            return false;
        }
        lock (entry)
        {
            if (entry.UserId != job.UserId || !ReferenceEquals(entry.Snapshot, job.Snapshot) || !Continues(entry, job)
                || !hidden.SequenceEqual(entry.Hidden))
            {
                return false;
            }
            int added = job.SessionCount - entry.SessionCount;
            if (added > 0)
            {
                entry.Buffers.CopyTo(buffers);
            }
            entry.Embedding.CopyTo(embedding);
            newItems = new ArraySegment<long>(job.SessionItems, job.SessionItems.Length - added, added);
            return true;
        }
    }

    /// <summary>Records the buffers and embedding after <paramref name="job"/>'s last row.</summary>
    public void Store(EmbedJob job, ReadOnlySpan<float> hidden, ReadOnlySpan<float> buffers, ReadOnlySpan<float> embedding)
    {
        ref var slot = ref _slots[Slot(job.UserId)];
        var entry = slot ??= new Entry(_bufferSize, _dim, hidden.Length);
        lock (entry)
        {
            entry.UserId = job.UserId;
            entry.Snapshot = job.Snapshot;
            entry.SessionCount = job.SessionCount;
            if (entry.Items.Length < job.SessionItems.Length)
            {
                entry.Items = new long[job.SessionItems.Length];
            }
            job.SessionItems.CopyTo(entry.Items, 0);
            entry.ItemCount = job.SessionItems.Length;
            hidden.CopyTo(entry.Hidden);
            buffers.CopyTo(entry.Buffers);
            embedding.CopyTo(entry.Embedding);
        }
    }

    /// <summary>True when the job's session is the entry's grown only at its end: with <c>a</c> items added, the job's
    /// listed items before the last <c>a</c> are the last of the entry's listed items. The rows stepped from the entry
    /// then end with exactly the job's listed items, whatever the list bound dropped in between.</summary>
    private static bool Continues(Entry entry, EmbedJob job)
    {
        var items = job.SessionItems;
        int added = job.SessionCount - entry.SessionCount;
        int kept = items.Length - added;
        if (added < 0 || kept < 0 || kept > entry.ItemCount)
        {
            return false;
        }
        return items.AsSpan(0, kept).SequenceEqual(entry.Items.AsSpan(entry.ItemCount - kept, kept));
    }

    private int Slot(long userId) => (int)((((ulong)userId * 0x9E3779B97F4A7C15UL) >> 32) % (ulong)_slots.Length);

    private sealed class Entry(int bufferSize, int dim, int stateSize)
    {
        public long UserId;
        public SnapshotHandle? Snapshot;
        public int SessionCount;
        public long[] Items = [];
        public int ItemCount;
        public readonly float[] Hidden = new float[stateSize];
        public readonly float[] Buffers = new float[bufferSize];
        public readonly float[] Embedding = new float[dim];
    }
}

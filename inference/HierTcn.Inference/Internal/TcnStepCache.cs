namespace HierTcn.Inference.Internal;

/// <summary>
/// The in-pod cache of one model version's incremental TCN state per user: the buffers the step graph left after the
/// user's last embedded row, that row's user embedding, and what they were computed from (the mapped snapshot, high-level
/// state, session item count, last item). Direct-mapped by user id, fixed capacity: a colliding user overwrites the
/// slot. An entry is used only when the request's state continues it (same snapshot, same high-level state, the
/// session grown by items the state still lists); anything else is a miss, which the caller answers by priming the
/// buffers from the session window. Thread-safe (a lock per slot).
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

    /// <summary>Bytes one cached user takes (buffers, embedding, high-level state copy, bookkeeping).</summary>
    public static long EntryBytes(int bufferSize, int dim, int stateSize) => 4L * (bufferSize + dim + stateSize) + 96;

    /// <summary>When the cached entry of <paramref name="job"/>'s user continues its state, copies the buffers into
    /// <paramref name="buffers"/> and the embedding into <paramref name="embedding"/> and returns true;
    /// <paramref name="newItems"/> are then the session items added since the entry (empty: the embedding is
    /// current).</summary>
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
            int added = job.SessionCount - entry.SessionCount;
            var items = job.SessionItems;
            if (entry.UserId != job.UserId || !ReferenceEquals(entry.Snapshot, job.Snapshot) || added < 0 || added > items.Length
                || (entry.SessionCount > 0 && (items.Length - added < 1 || items[items.Length - added - 1] != entry.LastItem))
                || !hidden.SequenceEqual(entry.Hidden))
            {
                return false;
            }
            entry.Buffers.CopyTo(buffers);
            entry.Embedding.CopyTo(embedding);
            newItems = new ArraySegment<long>(items, items.Length - added, added);
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
            entry.LastItem = job.SessionItems.Length > 0 ? job.SessionItems[^1] : 0;
            hidden.CopyTo(entry.Hidden);
            buffers.CopyTo(entry.Buffers);
            embedding.CopyTo(entry.Embedding);
        }
    }

    private int Slot(long userId) => (int)((((ulong)userId * 0x9E3779B97F4A7C15UL) >> 32) % (ulong)_slots.Length);

    private sealed class Entry(int bufferSize, int dim, int stateSize)
    {
        public long UserId;
        public SnapshotHandle? Snapshot;
        public int SessionCount;
        public long LastItem;
        public readonly float[] Hidden = new float[stateSize];
        public readonly float[] Buffers = new float[bufferSize];
        public readonly float[] Embedding = new float[dim];
    }
}

using HierTcn.Formats;
using HierTcn.Formats.Snapshots;

namespace HierTcn.Inference.Popularity;

/// <summary>
/// The clicks this engine has applied (ObserveEvents), kept by time for <see cref="RetentionMs"/> behind the newest:
/// what a model trained with the recent-popularity prior (<c>--recent-pop-prior</c>, manifest
/// <c>recent_pop_prior</c>) reads when it ranks at time t, each item's clicks in [t - window, t), the trainer's
/// definition (data/ RecentPopularityModel). Counts are exact for every t within the retention: a window per length
/// is kept and moved to the asked time, so a live stream of requests costs the events that entered or left it. A
/// request older than the retention sees only the clicks still kept. Above <see cref="Capacity"/> clicks the oldest
/// are dropped (<see cref="Dropped"/>). A click may carry a key (<see cref="KeyOf"/>: the user and the event id), and
/// a click whose key is already kept is not counted again: the same event applied here (ObserveEvents) and sent again
/// by the click feed (CountClicks), or a feed retried, counts once. Thread-safe (one lock).
/// </summary>
public sealed class RecentClicks
{
    private readonly Lock _gate = new();
    // Sorted by time; the kept clicks are [_start, Count): dropping the oldest only moves _start, and the list is
    // compacted once half of it is dropped, so trimming costs O(1) a click. Windows hold absolute indices.
    private readonly List<(long Time, long Item, ulong Key)> _clicks = [];
    // The keys of the kept clicks that have one (0: none).
    private readonly HashSet<ulong> _keys = [];
    private readonly Dictionary<long, Window> _windows = [];
    private int _start;
    private long _newest = long.MinValue;

    /// <param name="retentionMs">How far behind the newest click clicks are kept; at least the longest window asked for.</param>
    /// <param name="capacity">Most clicks kept.</param>
    public RecentClicks(long retentionMs, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(retentionMs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        RetentionMs = retentionMs;
        Capacity = capacity;
    }

    public long RetentionMs { get; }

    public int Capacity { get; }

    /// <summary>Clicks kept now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _clicks.Count - _start;
            }
        }
    }

    /// <summary>Clicks dropped for <see cref="Capacity"/> while still within the retention.</summary>
    public long Dropped { get; private set; }

    /// <summary>The key of the click of event <paramref name="eventId"/> of user <paramref name="userId"/> (event ids
    /// are unique per user): a 64-bit hash, never 0. Two events colliding (about n²/2⁶⁵ for n kept clicks: 4e-7 at four
    /// million) would count one click less.</summary>
    public static ulong KeyOf(long userId, string eventId)
    {
        ulong key = StableHash.Mix64(StableHash.Mix64(unchecked((ulong)userId)) ^ StableHash.Fnv1a64(eventId));
        return key == 0 ? 1 : key;
    }

    /// <summary>Records a click on <paramref name="itemId"/> at <paramref name="timeMs"/> (any order; usually the newest).
    /// Returns how many clicks within the retention the capacity dropped to make room (usually 0).</summary>
    public int Add(long itemId, long timeMs)
    {
        lock (_gate)
        {
            return Insert(itemId, timeMs, 0);
        }
    }

    /// <summary>Records the click of key <paramref name="key"/> (<see cref="KeyOf"/>) unless a click of that key is kept
    /// (<see cref="ClickOutcome.Duplicate"/>) or it is older than the retention behind the newest click
    /// (<see cref="ClickOutcome.TooOld"/>: it would be dropped at once). <paramref name="dropped"/>: as <see cref="Add(long, long)"/>.</summary>
    public ClickOutcome Add(long itemId, long timeMs, ulong key, out int dropped)
    {
        ArgumentOutOfRangeException.ThrowIfZero(key);
        dropped = 0;
        lock (_gate)
        {
            if (_keys.Contains(key))
            {
                return ClickOutcome.Duplicate;
            }
            if (_newest != long.MinValue && timeMs < _newest - RetentionMs)
            {
                return ClickOutcome.TooOld;
            }
            _keys.Add(key);
            dropped = Insert(itemId, timeMs, key);
            return ClickOutcome.Counted;
        }
    }

    /// <summary>Inserts a click at its time; under the lock.</summary>
    private int Insert(long itemId, long timeMs, ulong key)
    {
        int at = _clicks.Count == _start || _clicks[^1].Time <= timeMs ? _clicks.Count : UpperBound(timeMs);
        _clicks.Insert(at, (timeMs, itemId, key));
        foreach (var w in _windows.Values)
        {
            w.Inserted(timeMs, itemId);
        }
        _newest = Math.Max(_newest, timeMs);
        return Trim();
    }

    /// <summary>Writes w log(1 + c_i) to <paramref name="prior"/>[row of i in <paramref name="snapshot"/>] for each item
    /// with c_i clicks in [<paramref name="atMs"/> - <paramref name="windowMs"/>, <paramref name="atMs"/>), 0 elsewhere
    /// (items the snapshot lacks are left out).</summary>
    public void FillPrior(long atMs, long windowMs, float weight, ItemSnapshot snapshot, Span<float> prior)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowMs);
        prior.Clear();
        lock (_gate)
        {
            foreach (var (item, count) in WindowAt(atMs, windowMs).Counts)
            {
                if (snapshot.TryGetRow(item, out int row))
                {
                    prior[row] = weight * (float)Math.Log(1.0 + count);
                }
            }
        }
    }

    /// <summary>Each item's clicks in [<paramref name="atMs"/> - <paramref name="windowMs"/>, <paramref name="atMs"/>).</summary>
    public IReadOnlyDictionary<long, int> CountsAt(long atMs, long windowMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowMs);
        lock (_gate)
        {
            return new Dictionary<long, int>(WindowAt(atMs, windowMs).Counts);
        }
    }

    /// <summary>The window of <paramref name="windowMs"/> (made on first use) moved to <paramref name="atMs"/>; under the lock.</summary>
    private Window WindowAt(long atMs, long windowMs)
    {
        if (!_windows.TryGetValue(windowMs, out var w))
        {
            _windows[windowMs] = w = new Window(windowMs);
        }
        w.MoveTo(atMs, this);
        return w;
    }

    /// <summary>Drops clicks older than the retention behind the newest, and the oldest above the capacity (returned:
    /// those still within the retention).</summary>
    private int Trim()
    {
        int old = LowerBound(_newest - RetentionMs) - _start;
        int over = _clicks.Count - _start - Capacity;
        int drop = Math.Max(old, over);
        if (drop <= 0)
        {
            return 0;
        }
        int dropped = Math.Max(over - old, 0);
        Dropped += dropped;
        for (int i = _start; i < _start + drop; i++)
        {
            if (_clicks[i].Key != 0)
            {
                _keys.Remove(_clicks[i].Key);
            }
        }
        _start += drop;
        foreach (var w in _windows.Values)
        {
            w.Dropped(_start);
        }
        if (_start >= 1024 && _start >= _clicks.Count / 2)
        {
            _clicks.RemoveRange(0, _start);
            foreach (var w in _windows.Values)
            {
                w.Shifted(_start);
            }
            _start = 0;
        }
        return dropped;
    }

    private int LowerBound(long time)
    {
        int lo = _start, hi = _clicks.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_clicks[mid].Time < time)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private int UpperBound(long time)
    {
        int lo = _start, hi = _clicks.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_clicks[mid].Time <= time)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>The counts of the clicks [Lo, Hi) of the list: those in [At - length, At).</summary>
    private sealed class Window(long length)
    {
        private long _at = long.MinValue;
        private int _lo, _hi;

        public Dictionary<long, int> Counts { get; } = [];

        public void MoveTo(long at, RecentClicks clicks)
        {
            var list = clicks._clicks;
            int lo = clicks.LowerBound(at - length), hi = clicks.LowerBound(at);
            bool valid = _at != long.MinValue;
            _at = at;
            if (!valid || lo >= _hi || hi <= _lo || Math.Abs(lo - _lo) + Math.Abs(hi - _hi) > hi - lo)
            {
                // Disjoint, or cheaper to count afresh.
                Counts.Clear();
                for (int i = lo; i < hi; i++)
                {
                    Change(list[i].Item, 1);
                }
            }
            else
            {
                // Overlapping: the clicks that left at either end, then those that entered.
                for (int i = _lo; i < lo; i++)
                {
                    Change(list[i].Item, -1);
                }
                for (int i = lo; i < _lo; i++)
                {
                    Change(list[i].Item, 1);
                }
                for (int i = hi; i < _hi; i++)
                {
                    Change(list[i].Item, -1);
                }
                for (int i = _hi; i < hi; i++)
                {
                    Change(list[i].Item, 1);
                }
            }
            (_lo, _hi) = (lo, hi);
        }

        /// <summary>A click inserted at its time (after those of equal time): before the window it shifts both ends,
        /// inside it counts, after it changes nothing.</summary>
        public void Inserted(long time, long item)
        {
            if (_at == long.MinValue || time >= _at)
            {
                return;
            }
            if (time < _at - length)
            {
                _lo++;
                _hi++;
                return;
            }
            _hi++;
            Change(item, 1);
        }

        /// <summary>The clicks before <paramref name="start"/> were dropped: a window that counted some of them counts
        /// afresh at the next request.</summary>
        public void Dropped(int start)
        {
            if (_at != long.MinValue && _lo < start)
            {
                _at = long.MinValue;
                Counts.Clear();
                (_lo, _hi) = (0, 0);
            }
        }

        /// <summary>The list lost its first <paramref name="count"/> entries (all dropped before).</summary>
        public void Shifted(int count)
        {
            if (_at != long.MinValue)
            {
                _lo -= count;
                _hi -= count;
            }
        }

        private void Change(long item, int delta)
        {
            int now = Counts.GetValueOrDefault(item) + delta;
            if (now == 0)
            {
                Counts.Remove(item);
            }
            else
            {
                Counts[item] = now;
            }
        }
    }
}

/// <summary>What <see cref="RecentClicks.Add(long, long, ulong, out int)"/> did with a click.</summary>
public enum ClickOutcome
{
    Counted,
    /// <summary>A click of the same user and event id is kept already.</summary>
    Duplicate,
    /// <summary>Older than the retention behind the newest click kept.</summary>
    TooOld,
}

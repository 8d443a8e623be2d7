namespace HierTcn.Inference.Scoring;

/// <summary>
/// Keeps the k best (highest score) rows seen: a min-heap of size k. Ties are broken by the lower row index so results
/// are deterministic. NaN scores are never kept. Not thread-safe; reuse with <see cref="Reset"/>.
/// </summary>
public sealed class TopK
{
    private readonly ScoredRow[] _heap;
    private int _count;

    public TopK(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _heap = new ScoredRow[capacity];
    }

    public int K { get; private set; }

    public int Count => _count;

    /// <summary>Empties the heap and sets k (at most the capacity).</summary>
    public void Reset(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, _heap.Length);
        K = k;
        _count = 0;
    }

    /// <summary>The score a row must beat to enter (negative infinity while the heap is not full).</summary>
    public float Threshold => _count < K ? float.NegativeInfinity : _heap[0].Score;

    public void Offer(int row, float score)
    {
        if (float.IsNaN(score))
        {
            return;
        }
        var item = new ScoredRow(row, score);
        if (_count < K)
        {
            _heap[_count] = item;
            SiftUp(_count++);
        }
        else if (Better(item, _heap[0]))
        {
            _heap[0] = item;
            SiftDown(0);
        }
    }

    /// <summary>Writes the kept rows best first into <paramref name="destination"/>; returns how many.</summary>
    public int DrainSorted(Span<ScoredRow> destination)
    {
        int n = _count;
        var sorted = _heap.AsSpan(0, n);
        sorted.Sort(static (a, b) => Better(a, b) ? -1 : Better(b, a) ? 1 : 0);
        sorted.CopyTo(destination);
        _count = 0;
        return n;
    }

    // a is better than b: higher score, or the same score and a lower row.
    private static bool Better(ScoredRow a, ScoredRow b) => a.Score > b.Score || (a.Score == b.Score && a.Row < b.Row);

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Better(_heap[parent], _heap[i]))
            {
                break;
            }
            (_heap[parent], _heap[i]) = (_heap[i], _heap[parent]);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < _count && Better(_heap[worst], _heap[l]))
            {
                worst = l;
            }
            if (r < _count && Better(_heap[worst], _heap[r]))
            {
                worst = r;
            }
            if (worst == i)
            {
                return;
            }
            (_heap[worst], _heap[i]) = (_heap[i], _heap[worst]);
            i = worst;
        }
    }
}

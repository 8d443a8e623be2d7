using HierTcn.Data.Baselines.Internal;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Baselines;

/// <summary>
/// Item-to-item transitions ("cooc"): the score of item i is the number of times i directly followed the user's last
/// item in a training user's sequence (across session boundaries), plus the item's popularity scaled into [0, 1) so
/// that it only breaks ties between equal counts. Immutable after fitting; safe to share.
/// </summary>
public sealed class TransitionModel : IRankingModel
{
    // Sparse rows: the successors of item p are _next[_rowStart[p].._rowStart[p + 1]] with counts _count[...].
    private readonly int[] _rowStart;
    private readonly int[] _next;
    private readonly int[] _count;
    private readonly float[] _tie;

    private TransitionModel(int[] rowStart, int[] next, int[] count, float[] tie, long pairs)
    {
        _rowStart = rowStart;
        _next = next;
        _count = count;
        _tie = tie;
        HyperParameters = new Dictionary<string, object?>
        {
            ["pairs"] = "consecutive events of a training user, across sessions",
            ["tie_break"] = "popularity / (max popularity + 1)",
            ["training_pairs"] = pairs,
            ["distinct_pairs"] = next.Length,
        };
    }

    public string Name => "cooc";

    public IReadOnlyDictionary<string, object?> HyperParameters { get; }

    /// <summary>How often <paramref name="next"/> directly followed <paramref name="previous"/> in training.</summary>
    public int Count(int previous, int next)
    {
        int i = Array.BinarySearch(_next, _rowStart[previous], _rowStart[previous + 1] - _rowStart[previous], next);
        return i >= 0 ? _count[i] : 0;
    }

    /// <summary>Counts consecutive pairs in the training events of <paramref name="data"/>.</summary>
    public static TransitionModel Fit(PreparedDataset data)
    {
        var ranges = TrainingRanges.Of(data);
        int n = data.ItemCount;
        var items = data.EventItems;
        long pairs = 0;
        foreach (var (start, end) in ranges)
        {
            pairs += Math.Max(0, end - start - 1);
        }
        var keys = new long[pairs];
        long k = 0;
        foreach (var (start, end) in ranges)
        {
            for (int e = start + 1; e < end; e++)
            {
                keys[k++] = (long)items[e - 1] * n + items[e];
            }
        }
        Array.Sort(keys);
        var rowStart = new int[n + 1];
        var next = new List<int>();
        var count = new List<int>();
        for (long i = 0; i < keys.Length;)
        {
            long j = i;
            while (j < keys.Length && keys[j] == keys[i])
            {
                j++;
            }
            rowStart[keys[i] / n + 1]++;
            next.Add((int)(keys[i] % n));
            count.Add(checked((int)(j - i)));
            i = j;
        }
        for (int p = 0; p < n; p++)
        {
            rowStart[p + 1] += rowStart[p];
        }
        var tie = TrainingRanges.TieBreak(TrainingRanges.ItemCounts(data, ranges));
        return new TransitionModel(rowStart, [.. next], [.. count], tie, pairs);
    }

    public void Score(PreparedDataset data, ReadOnlySpan<ScoreQuery> queries, Span<float> scores)
    {
        int n = _tie.Length;
        TrainingRanges.CheckCatalogue(data, n, Name);
        var items = data.EventItems;
        for (int q = 0; q < queries.Length; q++)
        {
            var row = scores.Slice(q * n, n);
            _tie.CopyTo(row);
            int last = items[queries[q].Event - 1];
            for (int i = _rowStart[last]; i < _rowStart[last + 1]; i++)
            {
                row[_next[i]] = (float)(_count[i] + (double)_tie[_next[i]]);
            }
        }
    }
}

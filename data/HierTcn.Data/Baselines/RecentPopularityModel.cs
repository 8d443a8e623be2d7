using HierTcn.Data.Baselines.Internal;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Baselines;

/// <summary>
/// Recent popularity: an item's score for an event at time t is its number of training events in [t - window, t),
/// other users' clicks just before the one predicted (PROTOCOL.md section 6: the model knows the time of the event it
/// predicts); ties, an empty window included, are broken by all-time training popularity. What a service can count from
/// its live event stream, so the bar a news recommender must clear: on Globo's cold split it is above every neural
/// model of this repository that does not read these counts (bench/RESULTS.md, "The time between sessions"). Immutable
/// after fitting; safe to share.
/// </summary>
public sealed class RecentPopularityModel : IRankingModel
{
    /// <summary>The default window, 15 minutes: the best validation Recall@10 (and MRR) on Globo of 5, 10, 15, 20, 25,
    /// 30, 45 and 60 minutes (bench/RESULTS.md, "The time between sessions").</summary>
    public const long DefaultWindowMs = 15 * 60_000;

    private readonly long[] _times;
    private readonly int[] _items;
    private readonly float[] _tie;
    private readonly long _windowMs;

    private RecentPopularityModel(long[] times, int[] items, float[] tie, long windowMs)
    {
        _times = times;
        _items = items;
        _tie = tie;
        _windowMs = windowMs;
        HyperParameters = new Dictionary<string, object?>
        {
            ["score"] = "training events of the item in the window before the event, ties by all training events",
            ["window_minutes"] = windowMs / 60_000.0,
        };
    }

    public string Name => "recentpop";

    public IReadOnlyDictionary<string, object?> HyperParameters { get; }

    /// <summary>Sorts the training events of <paramref name="data"/> (cold: the training users' events; warm: events
    /// before T1) by time.</summary>
    /// <exception cref="UserInputException"><paramref name="windowMs"/> is not positive.</exception>
    public static RecentPopularityModel Fit(PreparedDataset data, long windowMs = DefaultWindowMs)
    {
        if (windowMs <= 0)
        {
            throw new UserInputException($"recentpop window must be positive, got {windowMs} ms");
        }
        var ranges = TrainingRanges.Of(data);
        var timestamps = data.EventTimestamps;
        var eventItems = data.EventItems;
        int n = 0;
        foreach (var (start, end) in ranges)
        {
            n += end - start;
        }
        var times = new long[n];
        var items = new int[n];
        int k = 0;
        foreach (var (start, end) in ranges)
        {
            for (int e = start; e < end; e++, k++)
            {
                times[k] = timestamps[e];
                items[k] = eventItems[e];
            }
        }
        Array.Sort(times, items);
        return new RecentPopularityModel(times, items, TrainingRanges.TieBreak(TrainingRanges.ItemCounts(data, ranges)), windowMs);
    }

    public void Score(PreparedDataset data, ReadOnlySpan<ScoreQuery> queries, Span<float> scores)
    {
        int catalogue = _tie.Length;
        TrainingRanges.CheckCatalogue(data, catalogue, Name);
        var timestamps = data.EventTimestamps;
        for (int q = 0; q < queries.Length; q++)
        {
            var row = scores.Slice(q * catalogue, catalogue);
            _tie.CopyTo(row);
            AddWindowCounts(timestamps[queries[q].Event], row);
        }
    }

    /// <summary>Adds to <paramref name="row"/> (one value per dense item) each item's training events in
    /// [<paramref name="timeMs"/> - window, <paramref name="timeMs"/>): the counts this model ranks by, without the
    /// tie-break (what a model reading recent popularity as an input needs).</summary>
    public void AddWindowCounts(long timeMs, Span<float> row)
    {
        if (row.Length != _tie.Length)
        {
            throw new ArgumentException($"row has {row.Length} values, the catalogue {_tie.Length} items", nameof(row));
        }
        for (int i = LowerBound(timeMs - _windowMs), end = LowerBound(timeMs); i < end; i++)
        {
            row[_items[i]] += 1f;
        }
    }

    /// <summary>The window's counts (<see cref="AddWindowCounts"/>) before each of <paramref name="events"/> (global
    /// event indices of <paramref name="data"/>): [events.Length * N], row-major, one row per event.</summary>
    public float[] WindowCounts(PreparedDataset data, ReadOnlySpan<int> events)
    {
        int n = _tie.Length;
        TrainingRanges.CheckCatalogue(data, n, Name);
        var counts = new float[events.Length * n];
        var timestamps = data.EventTimestamps;
        for (int i = 0; i < events.Length; i++)
        {
            AddWindowCounts(timestamps[events[i]], counts.AsSpan(i * n, n));
        }
        return counts;
    }

    /// <summary>The first training event at or after <paramref name="time"/>.</summary>
    private int LowerBound(long time)
    {
        int lo = 0, hi = _times.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_times[mid] < time)
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
}

using System.Numerics.Tensors;
using HierTcn.Data.Baselines.Internal;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Baselines;

/// <summary>
/// Session-based kNN, V-SkNN after Ludewig and Jannach (2018). The current session (the user's events in the query's
/// session before the query event) is a vector whose item at position p of L (1 = oldest) weighs p / L. Candidate
/// neighbours are the <see cref="SessionKnnOptions.SampleSize"/> most recent training sessions (by last event) sharing
/// an item with it; similarity is the sum of the current weights of the items a candidate contains; the
/// <see cref="SessionKnnOptions.Neighbours"/> most similar are kept (ties: the more recent), and an item scores the sum
/// of the similarities of the kept neighbours that contain it. Popularity, scaled below a thousandth of the weakest
/// kept similarity, breaks ties; without neighbours the score is popularity alone. The session-aware variant uses the
/// user's previous session when the query event opens a new session. Unless <see cref="SessionKnnOptions.Remind"/>,
/// items of the current session get no neighbour score. Immutable after fitting; safe to share.
/// </summary>
public sealed class SessionKnnModel : IRankingModel
{
    private readonly SessionKnnOptions _options;
    // Training sessions, numbered by recency (0 = oldest): distinct items of session s are
    // _sessionItems[_sessionStart[s].._sessionStart[s + 1]].
    private readonly int[] _sessionStart;
    private readonly int[] _sessionItems;
    // Sessions containing item i, most recent first: _postings[_postingStart[i].._postingStart[i + 1]].
    private readonly int[] _postingStart;
    private readonly int[] _postings;
    private readonly float[] _tie;

    private SessionKnnModel(SessionKnnOptions options, int[] sessionStart, int[] sessionItems, int[] postingStart, int[] postings, float[] tie)
    {
        _options = options;
        _sessionStart = sessionStart;
        _sessionItems = sessionItems;
        _postingStart = postingStart;
        _postings = postings;
        _tie = tie;
        HyperParameters = new Dictionary<string, object?>
        {
            ["sample_size"] = options.SampleSize,
            ["k"] = options.Neighbours,
            ["session_aware"] = options.SessionAware,
            ["remind"] = options.Remind,
            ["position_weight"] = "linear: p / L, p = 1 oldest .. L newest",
            ["similarity"] = "sum of current weights of shared items",
            ["tie_break"] = "popularity, below 1e-3 of the weakest neighbour similarity",
            ["training_sessions"] = sessionStart.Length - 1,
        };
    }

    public string Name => "sknn";

    public IReadOnlyDictionary<string, object?> HyperParameters { get; }

    /// <summary>Indexes the training sessions of <paramref name="data"/> (in a warm split, the part of each session
    /// before T1).</summary>
    public static SessionKnnModel Fit(PreparedDataset data, SessionKnnOptions? options = null)
    {
        options ??= new SessionKnnOptions();
        options.Validate();
        var ranges = TrainingRanges.Of(data);
        var se = data.SessionEvents;
        var items = data.EventItems;
        var ts = data.EventTimestamps;
        int n = data.ItemCount;

        var lastTs = new List<long>();
        var start = new List<int> { 0 };
        var flat = new List<int>();
        var distinct = new HashSet<int>();
        for (int u = 0; u < data.UserCount; u++)
        {
            var (from, to) = ranges[u];
            if (from == to)
            {
                continue;
            }
            var (s0, s1) = data.UserSessionRange(u);
            for (int s = s0; s < s1; s++)
            {
                int a = Math.Max(se[s], from);
                int b = Math.Min(se[s + 1], to);
                if (a >= b)
                {
                    continue;
                }
                distinct.Clear();
                for (int e = a; e < b; e++)
                {
                    distinct.Add(items[e]);
                }
                int before = flat.Count;
                flat.AddRange(distinct);
                flat.Sort(before, flat.Count - before, null);
                start.Add(flat.Count);
                lastTs.Add(ts[b - 1]);
            }
        }

        // Renumber by recency; a stable sort keeps input order between equal timestamps.
        int count = lastTs.Count;
        var order = Enumerable.Range(0, count).OrderBy(i => lastTs[i]).ToArray();
        var sessionStart = new int[count + 1];
        var sessionItems = new int[flat.Count];
        var postingStart = new int[n + 1];
        for (int r = 0; r < count; r++)
        {
            int s = order[r];
            int len = start[s + 1] - start[s];
            flat.CopyTo(start[s], sessionItems, sessionStart[r], len);
            sessionStart[r + 1] = sessionStart[r] + len;
        }
        foreach (int item in sessionItems)
        {
            postingStart[item + 1]++;
        }
        for (int i = 0; i < n; i++)
        {
            postingStart[i + 1] += postingStart[i];
        }
        var postings = new int[sessionItems.Length];
        var fill = postingStart[..n];
        for (int r = count - 1; r >= 0; r--)
        {
            for (int j = sessionStart[r]; j < sessionStart[r + 1]; j++)
            {
                postings[fill[sessionItems[j]]++] = r;
            }
        }
        var tie = TrainingRanges.TieBreak(TrainingRanges.ItemCounts(data, ranges));
        return new SessionKnnModel(options, sessionStart, sessionItems, postingStart, postings, tie);
    }

    public void Score(PreparedDataset data, ReadOnlySpan<ScoreQuery> queries, Span<float> scores)
    {
        int n = _tie.Length;
        TrainingRanges.CheckCatalogue(data, n, Name);
        var batch = queries.ToArray();
        unsafe
        {
            fixed (float* p = scores)
            {
                nint basePtr = (nint)p;
                Parallel.For(0, batch.Length, new ParallelOptions { MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism },
                    () => new KnnScratch(n, _options.SampleSize),
                    (q, _, scratch) =>
                    {
                        var row = new Span<float>((float*)basePtr + (long)q * n, n);
                        ScoreOne(data, batch[q], row, scratch);
                        return scratch;
                    },
                    _ => { });
            }
        }
    }

    private void ScoreOne(PreparedDataset data, ScoreQuery query, Span<float> row, KnnScratch scratch)
    {
        var (from, to) = CurrentSession(data, query);
        var items = data.EventItems;
        int length = to - from;
        var weight = scratch.Weight;
        var touched = scratch.Touched;
        touched.Clear();
        for (int e = from; e < to; e++)
        {
            int item = items[e];
            if (weight[item] == 0)
            {
                touched.Add(item);
            }
            weight[item] = (float)(e - from + 1) / length;
        }

        int candidates = CollectCandidates(touched, scratch);
        var keys = scratch.Keys;
        for (int c = 0; c < candidates; c++)
        {
            int s = scratch.Candidates[c];
            float sim = 0;
            for (int j = _sessionStart[s]; j < _sessionStart[s + 1]; j++)
            {
                sim += weight[_sessionItems[j]];
            }
            // Positive floats order like their bit patterns: one long sorts by similarity, then recency.
            keys[c] = ((long)BitConverter.SingleToInt32Bits(sim) << 32) | (uint)s;
        }
        foreach (int item in touched)
        {
            weight[item] = 0;
        }
        Array.Sort(keys, 0, candidates);
        int first = Math.Max(0, candidates - _options.Neighbours);

        float delta = candidates == 0 ? 1f : 1e-3f * BitConverter.Int32BitsToSingle((int)(keys[first] >> 32));
        TensorPrimitives.Multiply(_tie, delta, row);
        for (int c = first; c < candidates; c++)
        {
            float sim = BitConverter.Int32BitsToSingle((int)(keys[c] >> 32));
            int s = (int)(uint)keys[c];
            for (int j = _sessionStart[s]; j < _sessionStart[s + 1]; j++)
            {
                row[_sessionItems[j]] += sim;
            }
        }
        if (!_options.Remind)
        {
            foreach (int item in touched)
            {
                row[item] = delta * _tie[item];
            }
        }
    }

    /// <summary>The events forming the current session: those of the query's session before it, or, when the query
    /// opens its session, the previous session (session-aware) or nothing.</summary>
    private (int From, int To) CurrentSession(PreparedDataset data, ScoreQuery query)
    {
        var se = data.SessionEvents;
        var (s0, s1) = data.UserSessionRange(query.User);
        int lo = s0, hi = s1 - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (se[mid] <= query.Event)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        int s = lo;
        if (query.Event > se[s])
        {
            return (se[s], query.Event);
        }
        return _options.SessionAware && s > s0 ? (se[s - 1], se[s]) : (0, 0);
    }

    /// <summary>Merges the recency-ordered postings of the current items into the most recent distinct sessions, at
    /// most the sample size. Returns how many landed in <see cref="KnnScratch.Candidates"/>.</summary>
    private int CollectCandidates(List<int> currentItems, KnnScratch scratch)
    {
        var heads = scratch.Heads;
        var ends = scratch.Ends;
        heads.Clear();
        ends.Clear();
        foreach (int item in currentItems)
        {
            if (_postingStart[item] < _postingStart[item + 1])
            {
                heads.Add(_postingStart[item]);
                ends.Add(_postingStart[item + 1]);
            }
        }
        int taken = 0;
        while (taken < _options.SampleSize)
        {
            int best = -1;
            for (int l = 0; l < heads.Count; l++)
            {
                if (heads[l] < ends[l] && _postings[heads[l]] > best)
                {
                    best = _postings[heads[l]];
                }
            }
            if (best < 0)
            {
                break;
            }
            scratch.Candidates[taken++] = best;
            for (int l = 0; l < heads.Count; l++)
            {
                if (heads[l] < ends[l] && _postings[heads[l]] == best)
                {
                    heads[l]++;
                }
            }
        }
        return taken;
    }
}

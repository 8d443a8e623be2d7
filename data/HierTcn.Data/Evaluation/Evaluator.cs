using System.Diagnostics;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation.Internal;

namespace HierTcn.Data.Evaluation;

/// <summary>
/// The evaluation harness of PROTOCOL.md sections 6 to 8: asks a model to score the whole catalogue for every scored
/// event and ranks the true item with ties counted against the model.
/// </summary>
public static class Evaluator
{
    /// <summary>
    /// The events <paramref name="split"/> scores, grouped by user (ascending user index), ascending by event.
    /// <list type="bullet">
    /// <item>Cold and score datasets: every event of the split's users except each user's first (a score dataset has
    /// only test users; asking it for another split is a <see cref="UserInputException"/>).</item>
    /// <item>Warm datasets: the split's events (test: ts &gt;= T2; validation: T1 &lt;= ts &lt; T2) whose user has an
    /// event before the split's period starts (before T2 for test, before T1 for validation); for the training period,
    /// every training event except each user's first.</item>
    /// </list>
    /// </summary>
    public static ScoreQuery[] Queries(PreparedDataset data, DataSplit split) => QueryPlan.Build(data, split).Queries;

    /// <summary>
    /// Scores <paramref name="split"/> of <paramref name="data"/> with <paramref name="model"/>. The model gets the
    /// queries in batches of at most <see cref="EvaluationOptions.BatchSize"/>; a batch ends at a user boundary unless
    /// one user alone fills it. Rank = 1 + the number of other items whose score is &gt;= the true item's score; a NaN
    /// true score ranks N (last) and NaN scores of other items never count against it. In a row the model leaves
    /// unwritten the true item reads NaN (the harness sets that cell before each call), so it ranks last. With
    /// impressions, each event is also ranked within its pool (the items shown with it plus the true item, duplicates
    /// counted once).
    /// </summary>
    public static EvaluationReport Evaluate(PreparedDataset data, IRankingModel model, DataSplit split, EvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new EvaluationOptions();
        if (options.BatchSize < 1 || options.MaxDegreeOfParallelism < 1 || options.MaxScoreBufferBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "batch size, parallelism and buffer size must be positive");
        }
        var clock = Stopwatch.StartNew();
        var plan = QueryPlan.Build(data, split);
        var queries = plan.Queries;
        int n = data.ItemCount;
        int rows = (int)Math.Clamp(options.MaxScoreBufferBytes / (4L * Math.Max(n, 1)), 1, options.BatchSize);
        var scores = new float[(long)rows * n];
        var ranks = new int[queries.Length];
        bool pools = data.HasImpressions;
        var poolRanks = pools ? new int[queries.Length] : [];
        var poolSizes = pools ? new int[queries.Length] : [];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };

        int pos = 0;
        while (pos < queries.Length)
        {
            int end = BatchEnd(queries, pos, rows);
            int count = end - pos;
            var batchScores = scores.AsSpan(0, count * n);
            // A row the model leaves unwritten must not reuse the previous batch's scores: its true item reads NaN and
            // ranks last. One cell per row, not a pass over the buffer.
            for (int i = 0; i < count; i++)
            {
                batchScores[i * n + data.EventItems[queries[pos + i].Event]] = float.NaN;
            }
            model.Score(data, queries.AsSpan(pos, count), batchScores);
            int offset = pos;
            Parallel.For(0, count, parallel, i =>
            {
                var row = new ReadOnlySpan<float>(scores, i * n, n);
                int evt = queries[offset + i].Event;
                int trueItem = data.EventItems[evt];
                ranks[offset + i] = RankCounter.Rank(row, trueItem);
                if (pools)
                {
                    var pool = data.Impressions(evt);
                    if (pool.Length > 0)
                    {
                        poolRanks[offset + i] = RankCounter.PoolRank(row, trueItem, pool, out poolSizes[offset + i]);
                    }
                }
            });
            pos = end;
            options.Progress?.Invoke(pos, queries.Length);
        }
        double seconds = clock.Elapsed.TotalSeconds;

        var users = new int[queries.Length];
        var opens = new byte[queries.Length];
        var fullSizes = new int[queries.Length];
        for (int i = 0; i < queries.Length; i++)
        {
            users[i] = queries[i].User;
            opens[i] = plan.SessionPosition[i] == 0 ? (byte)1 : (byte)0;
            fullSizes[i] = n;
        }
        ScoredEvent[]? events = null;
        if (options.KeepEventResults)
        {
            events = new ScoredEvent[queries.Length];
            for (int i = 0; i < queries.Length; i++)
            {
                events[i] = new ScoredEvent(queries[i].User, queries[i].Event, ranks[i], plan.PastEvents[i], plan.SessionPosition[i],
                    plan.GapMs[i], pools ? poolRanks[i] : 0, pools ? poolSizes[i] : 0);
            }
        }
        var (known, unseen) = ByItemNovelty(data, split, queries, users, ranks, fullSizes, opens);
        using var process = Process.GetCurrentProcess();
        return new EvaluationReport
        {
            Split = DatasetHeader.SplitName(split),
            Model = model.Name,
            Dataset = ReportDataset.From(data),
            Metrics = MetricsBuilder.Build(users, ranks, fullSizes, opens),
            Impressions = pools ? MetricsBuilder.Build(users, poolRanks, poolSizes, opens) : null,
            KnownItems = known,
            NewItems = unseen,
            HyperParameters = new Dictionary<string, object?>(model.HyperParameters),
            Seed = options.Seed,
            ScoredUsers = plan.ScoredUsers,
            TrainWallTimeSeconds = options.TrainWallTimeSeconds,
            EvalWallTimeSeconds = seconds,
            EventsPerSecond = seconds > 0 ? queries.Length / seconds : 0,
            PeakMemoryBytes = process.PeakWorkingSet64,
            CreatedUtc = DateTime.UtcNow,
            Events = events,
        };
    }

    /// <summary>The metrics of the events whose true item has an event in the training split (known) and of those whose
    /// item has none (new: an item the model never saw in training). Both null for the training split, for a score
    /// dataset (its model was fitted on another dataset) and when no scored event has a new item.</summary>
    private static (MetricGroups? Known, MetricGroups? New) ByItemNovelty(PreparedDataset data, DataSplit split, ScoreQuery[] queries,
        int[] users, int[] ranks, int[] sizes, byte[] opens)
    {
        if (split == DataSplit.Train || data.Header.Split == "score")
        {
            return (null, null);
        }
        var trained = new bool[data.ItemCount];
        var items = data.EventItems;
        var periods = data.EventSplit;
        for (int e = 0; e < items.Length; e++)
        {
            trained[items[e]] |= periods[e] == (byte)DataSplit.Train;
        }
        var knownSizes = new int[queries.Length];
        var newSizes = new int[queries.Length];
        bool any = false;
        for (int i = 0; i < queries.Length; i++)
        {
            if (trained[items[queries[i].Event]])
            {
                knownSizes[i] = sizes[i];
            }
            else
            {
                newSizes[i] = sizes[i];
                any = true;
            }
        }
        return any ? (MetricsBuilder.Build(users, ranks, knownSizes, opens), MetricsBuilder.Build(users, ranks, newSizes, opens)) : (null, null);
    }

    /// <summary>End of the batch starting at <paramref name="start"/>: at most <paramref name="rows"/> queries, cut back
    /// to the start of the last user when that user does not fit and is not the batch's first.</summary>
    private static int BatchEnd(ScoreQuery[] queries, int start, int rows)
    {
        int end = Math.Min(start + rows, queries.Length);
        if (end == queries.Length || queries[end].User != queries[end - 1].User)
        {
            return end;
        }
        int userStart = end - 1;
        while (userStart > start && queries[userStart - 1].User == queries[end - 1].User)
        {
            userStart--;
        }
        return userStart > start ? userStart : end;
    }
}

using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Batching;
using HierTcn.Trainer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Evaluation;

/// <summary>
/// Ranks the catalogue with a trained model for the evaluation harness. For each user in a call it runs the model
/// over the user's events from the first up to the last queried one (all periods: the model may read everything
/// before the event it predicts, PROTOCOL.md section 6) and scores the catalogue with u . e_i. Causality makes the
/// queried event's own item irrelevant: u at its position reads only the events before it and the session boundary.
/// </summary>
public sealed class NeuralRankingModel : IRankingModel
{
    private readonly RecommenderModel _model;
    private readonly int _userBatch;

    /// <param name="userBatch">Users run through the model together; default 64.</param>
    public NeuralRankingModel(RecommenderModel model, IReadOnlyDictionary<string, object?> hyperParameters, int userBatch = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(userBatch, 1);
        _model = model;
        HyperParameters = hyperParameters;
        _userBatch = userBatch;
    }

    public string Name => ModelKinds.Name(_model.Kind);

    /// <summary>
    /// <paramref name="options"/> with the batches a neural model wants: up to 8,192 queries a <see cref="Score"/> call
    /// (within a 256 MiB score buffer: 8,192 rows of an 8,192-item catalogue). Every call runs each of its users'
    /// histories through the model in chunks of users of about the same length, so the harness's default of 512
    /// queries (about 23 users on Globo) left a chunk of whatever lengths came together (bench/RESULTS.md, issue 16).
    /// Metrics do not depend on it.
    /// </summary>
    public static EvaluationOptions Batched(EvaluationOptions options) =>
        options with { BatchSize = Math.Max(options.BatchSize, 8192), MaxScoreBufferBytes = Math.Max(options.MaxScoreBufferBytes, 256L << 20) };

    /// <summary>Run HierTCN and HierGRU over whole users (default) rather than one session index at a time (tests
    /// compare the two).</summary>
    internal bool WholeUsers { get; init; } = true;

    /// <summary>Run flat models' users in order of length, so a chunk pads to users of about its own length rather
    /// than to the longest of 64 users taken in query order (default; tests compare the two).</summary>
    internal bool SortFlatByLength { get; init; } = true;

    public IReadOnlyDictionary<string, object?> HyperParameters { get; }

    public void Score(PreparedDataset data, ReadOnlySpan<ScoreQuery> queries, Span<float> scores)
    {
        if (data.ItemCount != _model.Items.Count)
        {
            throw new Data.UserInputException(
                $"{data.Directory}: catalogue of {data.ItemCount} items, the model was trained on {_model.Items.Count}.");
        }
        bool wasTraining = _model.training;
        _model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var groups = Group(queries);
            bool sorted = SortFlatByLength && _model is FlatModel;
            if (sorted)
            {
                groups = [.. groups.OrderBy(g => g.LastEvent - data.UserEvents(g.User).Start)];
            }
            var parts = new List<Tensor>();
            for (int g = 0; g < groups.Count;)
            {
                int take = sorted ? FlatChunk(data, groups, g) : Math.Min(_userBatch, groups.Count - g);
                var chunk = groups.GetRange(g, take);
                g += take;
                parts.Add(_model switch
                {
                    FlatModel flat => RunFlat(flat, data, chunk, queries),
                    HierarchicalModel { ReadsWholeUsers: true } whole when WholeUsers => RunWholeUsers(whole, data, chunk, queries),
                    _ => RunHierarchical((HierarchicalModel)_model, data, chunk, queries),
                });
            }
            Tensor user = cat(parts, 0);                                   // [Q, d] in group order
            if (sorted)
            {
                // Row k of user belongs to the k-th query of the groups in their sorted order: put them back in query order.
                var position = new long[queries.Length];
                int k = 0;
                foreach (var g in groups)
                {
                    for (int q = g.First; q < g.First + g.Count; q++)
                    {
                        position[q] = k++;
                    }
                }
                user = user.index_select(0, tensor(position).to(user.device));
            }
            Tensor s = _model.Scores(user);
            if (_model.Options.RecentPopPrior)
            {
                s = Models.Internal.Arith.Add(s, _recentPop.Prior(_model, data, QueryEvents(queries), s.device));
            }
            s = s.to(float32).cpu().contiguous();
            s.data<float>().CopyTo(scores);
        }
        finally
        {
            _model.train(wasTraining);
        }
    }

    /// <summary>The event each query predicts (global event indices).</summary>
    private static int[] QueryEvents(ReadOnlySpan<ScoreQuery> queries)
    {
        var events = new int[queries.Length];
        for (int q = 0; q < queries.Length; q++)
        {
            events[q] = queries[q].Event;
        }
        return events;
    }

    /// <summary>The recent-popularity prior's input (the trainer's loss adds the same), fitted once per dataset.</summary>
    private readonly Models.Internal.RecentPopInput _recentPop = new();

    /// <summary>Positions a flat model's chunk may pad to (rows x the longest history): sorted by length, a chunk
    /// takes up to the user batch of users until the next would pass it, so the longest users (up to 1,000 events)
    /// run a few at a time. Measured on the Globo test split (bench/RESULTS.md, issue 16): 2,048 positions ran the
    /// TCN 1.5x faster than 16,384 or 65,536 (its per-block inputs then stay in cache); the GRU did not mind.</summary>
    private const long FlatChunkPositions = 2048;

    private int FlatChunk(PreparedDataset data, List<UserQueries> groups, int start)
    {
        int take = 1;
        while (start + take < groups.Count && take < _userBatch)
        {
            var next = groups[start + take];
            long longest = next.LastEvent - data.UserEvents(next.User).Start + 1;   // sorted: the longest so far
            if ((take + 1) * longest > FlatChunkPositions)
            {
                break;
            }
            take++;
        }
        return take;
    }

    private readonly record struct UserQueries(int User, int First, int Count, int LastEvent);

    private static List<UserQueries> Group(ReadOnlySpan<ScoreQuery> queries)
    {
        var groups = new List<UserQueries>();
        int i = 0;
        while (i < queries.Length)
        {
            int j = i;
            int last = queries[i].Event;
            while (j < queries.Length && queries[j].User == queries[i].User)
            {
                last = Math.Max(last, queries[j].Event);
                j++;
            }
            groups.Add(new UserQueries(queries[i].User, i, j - i, last));
            i = j;
        }
        return groups;
    }

    private static Tensor RunFlat(FlatModel model, PreparedDataset data, List<UserQueries> chunk, ReadOnlySpan<ScoreQuery> queries)
    {
        int rows = chunk.Count;
        var firstEvent = new int[rows];
        var lengths = new long[rows];
        for (int r = 0; r < rows; r++)
        {
            firstEvent[r] = data.UserEvents(chunk[r].User).Start;
            lengths[r] = chunk[r].LastEvent - firstEvent[r] + 1;
        }
        int steps = (int)lengths.Max();
        var items = new long[rows * steps];
        var starts = new float[rows * steps];
        var pick = new List<long>();
        var eventItems = data.EventItems;
        var se = data.SessionEvents;
        for (int r = 0; r < rows; r++)
        {
            var (s0, s1) = data.UserSessionRange(chunk[r].User);
            for (int s = s0; s < s1; s++)
            {
                if (se[s] - firstEvent[r] < lengths[r])
                {
                    starts[r * steps + se[s] - firstEvent[r]] = 1;
                }
            }
            for (int p = 0; p < lengths[r]; p++)
            {
                items[r * steps + p] = eventItems[firstEvent[r] + p];
            }
            for (int q = chunk[r].First; q < chunk[r].First + chunk[r].Count; q++)
            {
                pick.Add(r * (long)steps + queries[q].Event - firstEvent[r]);
            }
        }
        Device dev = model.Device;
        Tensor u = model.Forward(tensor(items, [rows, steps]).to(dev), tensor(starts, [rows, steps]).to(dev), tensor(lengths).to(dev));
        return u.view(-1, u.shape[2]).index_select(0, tensor(pick.ToArray()).to(dev));
    }

    /// <summary>Hierarchical models whose high level reads only session means: every session of the chunk's users (up
    /// to each one's last queried event) in one <see cref="HierarchicalModel.ForwardUsers"/> call.</summary>
    private static Tensor RunWholeUsers(HierarchicalModel model, PreparedDataset data, List<UserQueries> chunk, ReadOnlySpan<ScoreQuery> queries)
    {
        var se = data.SessionEvents;
        var users = new (int Start, int End)[chunk.Count][];
        for (int r = 0; r < chunk.Count; r++)
        {
            var (s0, s1) = data.UserSessionRange(chunk[r].User);
            var list = new List<(int, int)>();
            for (int s = s0; s < s1 && se[s] <= chunk[r].LastEvent; s++)
            {
                list.Add((se[s], Math.Min(se[s + 1], chunk[r].LastEvent + 1)));
            }
            users[r] = [.. list];
        }
        var batch = UserSessionBatch.Build(users, data.EventItems);
        // Where each event's u is: (bucket, flat position in that bucket).
        var where = new Dictionary<int, (int Bucket, long Position)>();
        for (int i = 0; i < batch.Buckets.Length; i++)
        {
            int[] events = batch.Buckets[i].Events;
            for (long p = 0; p < events.Length; p++)
            {
                if (events[p] >= 0)
                {
                    where[events[p]] = (i, p);
                }
            }
        }
        Device dev = model.Device;
        var items = batch.Buckets.Select(b => tensor(b.Items, [b.Rows, b.Steps]).to(dev)).ToList();
        var lengths = batch.Buckets.Select(b => tensor(b.Lengths).to(dev)).ToList();
        Tensor[] u = model.ForwardUsers(batch, items, lengths);
        var flat = cat(u.Select(x => x.reshape(-1, x.shape[2])).ToList(), 0);
        var offsets = new long[batch.Buckets.Length];
        for (int i = 1; i < offsets.Length; i++)
        {
            offsets[i] = offsets[i - 1] + (long)batch.Buckets[i - 1].Rows * batch.Buckets[i - 1].Steps;
        }
        var index = new List<long>();
        foreach (var group in chunk)
        {
            for (int q = group.First; q < group.First + group.Count; q++)
            {
                var (bucket, position) = where[queries[q].Event];
                index.Add(offsets[bucket] + position);
            }
        }
        return flat.index_select(0, tensor(index.ToArray()).to(dev));
    }

    private static Tensor RunHierarchical(HierarchicalModel model, PreparedDataset data, List<UserQueries> chunk, ReadOnlySpan<ScoreQuery> queries)
    {
        int rows = chunk.Count;
        var se = data.SessionEvents;
        var firstSession = new int[rows];
        var sessionCount = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            var (s0, s1) = data.UserSessionRange(chunk[r].User);
            firstSession[r] = s0;
            int last = s0;
            while (last + 1 < s1 && se[last + 1] <= chunk[r].LastEvent)
            {
                last++;
            }
            sessionCount[r] = last - s0 + 1;
        }
        // Where each query's u comes from: (step, flat index in that step's [rows * T]); collected per step.
        var queryStep = new int[chunk.Sum(c => c.Count)];
        var queryPos = new int[queryStep.Length];
        int k = 0;
        for (int r = 0; r < rows; r++)
        {
            int s = firstSession[r];
            for (int q = chunk[r].First; q < chunk[r].First + chunk[r].Count; q++, k++)
            {
                int e = queries[q].Event;
                while (se[s + 1] <= e)
                {
                    s++;
                }
                queryStep[k] = s - firstSession[r];
                queryPos[k] = e - se[s];
            }
        }
        Device dev = model.Device;
        var rowOfQuery = new int[queryStep.Length];
        k = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < chunk[r].Count; q++)
            {
                rowOfQuery[k++] = r;
            }
        }
        var result = new Tensor?[queryStep.Length];
        int maxSteps = sessionCount.Max();
        var eventItems = data.EventItems;
        var timestamps = data.EventTimestamps;
        var state = model.InitialState(rows);
        try
        {
            for (int step = 0; step < maxSteps; step++)
            {
                var lengths = new long[rows];
                for (int r = 0; r < rows; r++)
                {
                    if (step < sessionCount[r])
                    {
                        int s = firstSession[r] + step;
                        lengths[r] = Math.Min(se[s + 1], chunk[r].LastEvent + 1) - se[s];
                    }
                }
                int t = (int)lengths.Max();
                var items = new long[rows * t];
                var newUser = new bool[rows];
                for (int r = 0; r < rows; r++)
                {
                    newUser[r] = step == 0;
                    int start = step < sessionCount[r] ? se[firstSession[r] + step] : 0;
                    for (int p = 0; p < lengths[r]; p++)
                    {
                        items[r * t + p] = eventItems[start + p];
                    }
                }
                Tensor? gaps = null;
                if (model.Options.HighTimeGap)
                {
                    var minutes = new float[rows];
                    for (int r = 0; r < rows; r++)
                    {
                        minutes[r] = step < sessionCount[r] ? HierarchicalModel.GapMinutes(timestamps, se[firstSession[r] + step], newUser[r]) : 0f;
                    }
                    gaps = tensor(minutes).to(dev);
                }
                var (u, next) = model.Step(state, tensor(items, [rows, t]).to(dev), tensor(lengths).to(dev), tensor(newUser).to(dev), gaps);
                state.Dispose();
                state = next;
                var wanted = Enumerable.Range(0, queryStep.Length).Where(i => queryStep[i] == step).ToArray();
                if (wanted.Length > 0)
                {
                    long[] index = [.. wanted.Select(i => (long)rowOfQuery[i] * t + queryPos[i])];
                    Tensor picked = u.view(-1, u.shape[2]).index_select(0, tensor(index).to(dev));
                    for (int j = 0; j < wanted.Length; j++)
                    {
                        result[wanted[j]] = picked[j];
                    }
                }
            }
        }
        finally
        {
            state.Dispose();
        }
        return stack(result.Select(x => x!));
    }
}

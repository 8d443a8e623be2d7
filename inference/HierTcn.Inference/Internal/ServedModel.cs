using System.Diagnostics;
using HierTcn.Formats;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference.Batching;
using HierTcn.Inference.Execution.Internal;
using HierTcn.Inference.Scoring;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Tensors = HierTcn.Formats.Bundles.BundleSignatures.Tensors;

namespace HierTcn.Inference.Internal;

/// <summary>
/// One loaded model version: its bundle, an ONNX Runtime session per graph (embed, update), its start tokens, the
/// item snapshot it scores against (swappable) and its Recommend batcher. Reference counted for hot swap.
/// </summary>
internal sealed class ServedModel : RefCounted
{
    private readonly OrtGraph _embed;
    private readonly OrtGraph _update;
    private readonly float[] _sessionStart;
    private readonly float[] _userStart;
    private readonly IRecommenderMetrics? _metrics;
    private readonly ILogger _log;
    private readonly ThreadLocal<BatchScorer> _scorers;
    private readonly List<SnapshotHandle> _retiredSnapshots = [];
    private volatile SnapshotHandle _snapshot;

    /// <summary>The model types served: two-level models whose state is one GRU stack and whose embed graph reads the
    /// open session's rows.</summary>
    public static readonly IReadOnlyList<string> ServedTypes = [ModelTypes.HierTcn, ModelTypes.HierGru];

    /// <summary>What the service feeds the embed graph, in <see cref="RunBatch"/>'s order, and what it reads back.</summary>
    internal static readonly string[] EmbedInputs = [Tensors.Items, Tensors.Lengths, Tensors.State];
    internal static readonly string[] EmbedOutputs = [Tensors.UserEmbedding];

    /// <summary>What the service feeds the update graph, in <see cref="RunUpdate"/>'s order, and what it reads back.</summary>
    internal static readonly string[] UpdateInputs = [Tensors.State, Tensors.SessionMean];
    internal static readonly string[] UpdateOutputs = [Tensors.NextState];

    private ServedModel(ModelBundle bundle, string snapshotsDirectory, OrtGraph embed, OrtGraph update, SnapshotHandle snapshot,
        RecommenderOptions options, IRecommenderMetrics? metrics, ILogger log, TimeProvider? clock)
    {
        Bundle = bundle;
        SnapshotsDirectory = snapshotsDirectory;
        _embed = embed;
        _update = update;
        _snapshot = snapshot;
        _metrics = metrics;
        _log = log;
        var dims = bundle.Manifest.Dims;
        Dim = dims.ItemDim;
        StateSize = dims.Layers * dims.Hidden;
        ReceptiveField = dims.ReceptiveField ?? int.MaxValue;
        SessionCapacity = dims.ReceptiveField ?? options.MaxSessionItems;
        Rule = new SessionRule(bundle.Manifest.SessionGapMs);
        _sessionStart = bundle.StartToken(BundleSignatures.SessionStart).ToArray();
        _userStart = bundle.StartToken(BundleSignatures.UserStart).ToArray();
        int maxK = options.MaxK;
        int maxBatch = options.Batching.MaxBatchSize;
        _scorers = new ThreadLocal<BatchScorer>(() => new BatchScorer(maxBatch, maxK));
        Batcher = new MicroBatcher<EmbedJob, EmbedResult>(options.Batching, RunBatch,
            stats => _metrics?.Batch(Version, stats.Size, stats.Expired, stats.QueueDepth), clock);
    }

    public ModelBundle Bundle { get; }

    public string Version => Bundle.Manifest.ModelVersion;

    public string SnapshotsDirectory { get; }

    public string Provider => _embed.Provider;

    public int Dim { get; }

    /// <summary>L*H floats of high-level state.</summary>
    public int StateSize { get; }

    /// <summary>Most rows the embed graph can use (the TCN's receptive field; unbounded for GRU models).</summary>
    public int ReceptiveField { get; }

    /// <summary>Open-session items kept in a user's state.</summary>
    public int SessionCapacity { get; }

    public SessionRule Rule { get; }

    public MicroBatcher<EmbedJob, EmbedResult> Batcher { get; }

    /// <summary>The learned state before a user's first session (the caller must not modify it).</summary>
    public ReadOnlySpan<float> UserStart => _userStart;

    public SnapshotHandle CurrentSnapshot => _snapshot;

    /// <summary>Swapped-out snapshots still mapped because requests hold them.</summary>
    public int RetiredSnapshotsHeld
    {
        get
        {
            lock (_retiredSnapshots)
            {
                return _retiredSnapshots.Count(r => !r.IsFreed);
            }
        }
    }

    /// <summary>Loads version <paramref name="version"/> and the snapshot <c>CURRENT</c> names in
    /// <paramref name="snapshotsDirectory"/>. <paramref name="clock"/> (default the system clock) is what the batcher
    /// compares deadlines with.</summary>
    /// <exception cref="InvalidDataException">The bundle, a graph or the snapshot is unusable; the message says why.</exception>
    public static ServedModel Load(string bundlesDirectory, string version, string snapshotsDirectory, RecommenderOptions options,
        IRecommenderMetrics? metrics, ILogger log, TimeProvider? clock = null)
    {
        var bundle = ModelBundle.Load(Path.Combine(bundlesDirectory, version));
        var m = bundle.Manifest;
        if (m.ModelVersion != version)
        {
            throw new InvalidDataException($"{bundle.Directory}: the manifest says model_version \"{m.ModelVersion}\", the directory is \"{version}\"");
        }
        if (!ServedTypes.Contains(m.ModelType))
        {
            throw new InvalidDataException($"{bundle.Directory}: model type \"{m.ModelType}\" is not served; the service serves "
                + $"{string.Join(" and ", ServedTypes)} bundles");
        }
        OrtGraph? embed = null, update = null;
        SnapshotHandle? snapshot = null;
        try
        {
            embed = OrtGraph.Load(bundle.GraphPath(GraphRoles.Embed), m.Graphs[GraphRoles.Embed], EmbedInputs, EmbedOutputs, options,
                out string? fallback);
            if (fallback is not null)
            {
                EngineLog.CudaFallback(log, version, fallback);
            }
            update = OrtGraph.Load(bundle.GraphPath(GraphRoles.Update), m.Graphs[GraphRoles.Update], UpdateInputs, UpdateOutputs, options,
                out _);
            snapshot = OpenSnapshot(bundle, snapshotsDirectory);
            var model = new ServedModel(bundle, snapshotsDirectory, embed, update, snapshot, options, metrics, log, clock);
            EngineLog.ModelLoaded(log, version, m.ModelType, m.Dims.ItemDim, m.Dims.Layers, m.Dims.Hidden,
                m.Dims.ReceptiveField?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unbounded", bundle.Directory,
                embed.Provider, snapshot.Version, snapshot.Snapshot.Count);
            return model;
        }
        catch
        {
            embed?.Dispose();
            update?.Dispose();
            snapshot?.Retire();
            throw;
        }
    }

    private static SnapshotHandle OpenSnapshot(ModelBundle bundle, string directory)
    {
        var snapshot = ItemSnapshot.OpenCurrent(directory);
        try
        {
            bundle.CheckSnapshot(snapshot);
            return new SnapshotHandle(snapshot);
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
    }

    /// <summary>A reference to the current snapshot; the caller releases it.</summary>
    public SnapshotHandle AcquireSnapshot()
    {
        while (true)
        {
            var s = _snapshot;
            if (s.TryAcquire())
            {
                return s;
            }
        }
    }

    /// <summary>Follows the snapshot directory's <c>CURRENT</c> pointer: when it names another file, maps and checks
    /// it, swaps it in and retires the old one (unmapped when its last request finishes). False when unchanged.</summary>
    public bool RefreshSnapshot()
    {
        var current = _snapshot;
        string path = ItemSnapshotDirectory.ResolveCurrent(SnapshotsDirectory);
        if (path == current.Path)
        {
            return false;
        }
        var next = OpenSnapshot(Bundle, SnapshotsDirectory);
        var old = Interlocked.Exchange(ref _snapshot, next);
        EngineLog.SnapshotSwapped(_log, Version, next.Version, next.Snapshot.Count, old.Version);
        old.Retire();
        lock (_retiredSnapshots)
        {
            _retiredSnapshots.RemoveAll(r => r.IsFreed);
            _retiredSnapshots.Add(old);
        }
        return true;
    }

    /// <summary>The update graph (eq. 10) for one user: the next high-level state after a session with MEAN
    /// <paramref name="mean"/>.</summary>
    public float[] CloseSession(float[] state, float[] mean) => RunUpdate(state, mean, 1);

    private float[] RunUpdate(float[] states, float[] means, int rows)
    {
        var dims = Bundle.Manifest.Dims;
        long start = Stopwatch.GetTimestamp();
        using var s = OrtValue.CreateTensorValueFromMemory(states, [rows, dims.Layers, dims.Hidden]);
        using var m = OrtValue.CreateTensorValueFromMemory(means, [rows, Dim]);
        using var outputs = _update.Run(s, m);
        var result = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        _metrics?.OnnxRun(Version, GraphRoles.Update, Stopwatch.GetElapsedTime(start).TotalSeconds);
        return result;
    }

    /// <summary>One batch: the update graph once for the rows whose session the request time closes, the embed graph
    /// once for all rows, then one scoring pass per snapshot in the batch (one, except during a swap) and top k.</summary>
    internal void RunBatch(ReadOnlySpan<EmbedJob> jobs, Span<EmbedResult> results)
    {
        int b = jobs.Length;
        var dims = Bundle.Manifest.Dims;
        var hidden = new float[b][];
        var closing = new List<int>();
        for (int i = 0; i < b; i++)
        {
            hidden[i] = jobs[i].Hidden;
            if (jobs[i].CloseMean is not null)
            {
                closing.Add(i);
            }
        }
        if (closing.Count > 0)
        {
            var states = new float[closing.Count * StateSize];
            var means = new float[closing.Count * Dim];
            for (int j = 0; j < closing.Count; j++)
            {
                jobs[closing[j]].Hidden.CopyTo(states, j * StateSize);
                jobs[closing[j]].CloseMean!.CopyTo(means, j * Dim);
            }
            var next = RunUpdate(states, means, closing.Count);
            for (int j = 0; j < closing.Count; j++)
            {
                hidden[closing[j]] = next.AsSpan(j * StateSize, StateSize).ToArray();
            }
        }

        // Rows: [start token, e(x_1) .. e(x_n)] cut to the receptive field; items missing from the snapshot are skipped.
        var rowLists = new List<int>[b];
        var startFlags = new bool[b];
        int t = 1;
        for (int i = 0; i < b; i++)
        {
            var job = jobs[i];
            var snapshot = job.Snapshot.Snapshot;
            var rows = new List<int>(job.SessionItems.Length);
            foreach (long id in job.SessionItems)
            {
                if (snapshot.TryGetRow(id, out int row))
                {
                    rows.Add(row);
                }
            }
            bool start = job.IncludeStart || rows.Count == 0;
            int total = rows.Count + (start ? 1 : 0);
            if (total > ReceptiveField)
            {
                int drop = total - ReceptiveField;
                if (start)
                {
                    start = false;
                    drop--;
                }
                rows.RemoveRange(0, drop);
            }
            rowLists[i] = rows;
            startFlags[i] = start;
            t = Math.Max(t, rows.Count + (start ? 1 : 0));
        }
        var items = new float[b * t * Dim];
        var lengths = new long[b];
        var state = new float[b * StateSize];
        for (int i = 0; i < b; i++)
        {
            var snapshot = jobs[i].Snapshot.Snapshot;
            int at = i * t * Dim;
            if (startFlags[i])
            {
                _sessionStart.CopyTo(items, at);
                at += Dim;
            }
            foreach (int row in rowLists[i])
            {
                snapshot.Row(row).CopyTo(items.AsSpan(at, Dim));
                at += Dim;
            }
            lengths[i] = rowLists[i].Count + (startFlags[i] ? 1 : 0);
            hidden[i].CopyTo(state, i * StateSize);
        }
        long begin = Stopwatch.GetTimestamp();
        float[] users;
        using (var itemsValue = OrtValue.CreateTensorValueFromMemory(items, [b, t, Dim]))
        using (var lengthsValue = OrtValue.CreateTensorValueFromMemory(lengths, [b]))
        using (var stateValue = OrtValue.CreateTensorValueFromMemory(state, [b, dims.Layers, dims.Hidden]))
        using (var outputs = _embed.Run(itemsValue, lengthsValue, stateValue))
        {
            users = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        _metrics?.OnnxRun(Version, GraphRoles.Embed, Stopwatch.GetElapsedTime(begin).TotalSeconds);

        for (int i = 0; i < b; i++)
        {
            results[i] = new EmbedResult(users.AsSpan(i * Dim, Dim).ToArray(), []);
        }
        Score(jobs, users, results);
    }

    private void Score(ReadOnlySpan<EmbedJob> jobs, float[] users, Span<EmbedResult> results)
    {
        var scorer = _scorers.Value!;
        var groups = new Dictionary<SnapshotHandle, List<int>>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < jobs.Length; i++)
        {
            if (!jobs[i].Score || !float.IsFinite(TensorSum(users.AsSpan(i * Dim, Dim))))
            {
                continue;
            }
            if (!groups.TryGetValue(jobs[i].Snapshot, out var list))
            {
                groups[jobs[i].Snapshot] = list = [];
            }
            list.Add(i);
        }
        foreach (var (handle, members) in groups)
        {
            int n = members.Count;
            var u = new float[n * Dim];
            var rows = new int[]?[n];
            var k = new int[n];
            var excluded = new HashSet<int>?[n];
            var output = new ScoredRow[n][];
            var counts = new int[n];
            for (int j = 0; j < n; j++)
            {
                var job = jobs[members[j]];
                users.AsSpan(members[j] * Dim, Dim).CopyTo(u.AsSpan(j * Dim));
                rows[j] = job.CandidateRows;
                k[j] = job.K;
                excluded[j] = job.ExcludedRows;
                output[j] = new ScoredRow[job.K];
            }
            bool anyExcluded = excluded.Any(e => e is { Count: > 0 });
            var snapshot = handle.Snapshot;
            scorer.Score(u, Dim, snapshot.Matrix, rows, k, anyExcluded ? (user, row) => excluded[user]?.Contains(row) == true : null,
                output, counts);
            var ids = snapshot.ItemIds;
            for (int j = 0; j < n; j++)
            {
                var list = new List<ItemScore>(counts[j]);
                for (int r = 0; r < counts[j]; r++)
                {
                    var s = output[j][r];
                    if (float.IsFinite(s.Score))
                    {
                        list.Add(new ItemScore(ids[s.Row], s.Score));
                    }
                }
                results[members[j]] = results[members[j]] with { Items = [.. list] };
            }
        }
    }

    private static float TensorSum(ReadOnlySpan<float> x) => System.Numerics.Tensors.TensorPrimitives.Sum(x);

    protected override void Free()
    {
        // No request holds a reference, so the queue is empty: the batcher stops at once.
        Batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _embed.Dispose();
        _update.Dispose();
        _scorers.Dispose();
        _snapshot.Retire();
    }
}

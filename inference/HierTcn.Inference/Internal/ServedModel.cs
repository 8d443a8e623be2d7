using System.Diagnostics;
using HierTcn.Formats;
using HierTcn.Formats.Bundles;
using HierTcn.Inference.Batching;
using HierTcn.Inference.Execution.Internal;
using HierTcn.Inference.Popularity;
using HierTcn.Inference.Scoring;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Tensors = HierTcn.Formats.Bundles.BundleSignatures.Tensors;

namespace HierTcn.Inference.Internal;

/// <summary>
/// One loaded model version: its bundle, an ONNX Runtime session per graph (embed, update, score, and the incremental
/// TCN step when the bundle has one), its start tokens, the item snapshot it scores against (swappable) and its Recommend
/// batcher. Reference counted for hot swap. The batch itself is in ServedModel.Batch.cs (update, then embed by
/// ServedModel.Steps.cs or ServedModel.FullWindow.cs), scoring in ServedModel.Scoring.cs, the snapshot swap in
/// ServedModel.Snapshots.cs.
/// </summary>
internal sealed partial class ServedModel : RefCounted
{
    private readonly OrtGraph _embed;
    private readonly OrtGraph _update;
    private readonly OrtGraph? _embedStep;
    private readonly OrtGraph _score;
    private readonly TcnStepCache? _stepCache;
    private readonly System.Collections.Concurrent.ConcurrentBag<StepWork> _stepWork = [];
    private readonly System.Collections.Concurrent.ConcurrentBag<BatchWork> _batchWork = [];
    private readonly int _maxBatch;
    private readonly float[] _sessionStart;
    private readonly float[] _userStart;
    private readonly IRecommenderMetrics? _metrics;
    private readonly int _maxK;
    private readonly ILogger _log;
    private readonly ThreadLocal<BatchScorer> _scorers;
    private readonly List<SnapshotHandle> _retiredSnapshots = [];
    private volatile SnapshotHandle _snapshot;
    private readonly RecentPopPriorSpec? _prior;
    private readonly RecentClicks? _clicks;
    private readonly TimeProvider _clock;

    /// <summary>The model types served: two-level models whose state is one GRU stack and whose embed graph reads the
    /// open session's rows.</summary>
    public static readonly IReadOnlyList<string> ServedTypes = [ModelTypes.HierTcn, ModelTypes.HierGru];

    /// <summary>What the service feeds the embed graph, in <see cref="RunBatch"/>'s order, and what it reads back.</summary>
    internal static readonly string[] EmbedInputs = [Tensors.Items, Tensors.Lengths, Tensors.State];
    internal static readonly string[] EmbedOutputs = [Tensors.UserEmbedding];

    /// <summary>What the service feeds the update graph, in <see cref="RunUpdate"/>'s order, and what it reads back.</summary>
    internal static readonly string[] UpdateInputs = [Tensors.State, Tensors.SessionMean];

    /// <summary>The update graph's inputs for a model whose high level reads the time between sessions.</summary>
    internal static readonly string[] TimeGapUpdateInputs = [Tensors.State, Tensors.SessionMean, Tensors.GapMinutes];

    /// <summary>The update inputs of a model of <paramref name="dims"/>.</summary>
    internal static string[] UpdateInputsOf(ModelDims dims) => dims.TimeGap == true ? TimeGapUpdateInputs : UpdateInputs;
    internal static readonly string[] UpdateOutputs = [Tensors.NextState];

    /// <summary>What the service feeds the score graph, in <see cref="ScoreCatalogue"/>'s order, and reads back.</summary>
    internal static readonly string[] ScoreInputs = [Tensors.UserEmbedding, Tensors.ItemMatrix, Tensors.K];

    /// <summary>The score graph's inputs for a model with a recent-popularity prior.</summary>
    internal static readonly string[] PriorScoreInputs = [Tensors.UserEmbedding, Tensors.ItemMatrix, Tensors.K, Tensors.ItemPrior];

    /// <summary>The score inputs of a model of <paramref name="dims"/>.</summary>
    internal static string[] ScoreInputsOf(ModelDims dims) => dims.RecentPop == true ? PriorScoreInputs : ScoreInputs;
    internal static readonly string[] ScoreOutputs = [Tensors.Scores, Tensors.Indices];

    /// <summary>What the service feeds the incremental TCN graph, in <see cref="RunStep"/>'s order, and reads back.</summary>
    internal static readonly string[] EmbedStepInputs = [Tensors.Item, Tensors.State, Tensors.Buffers];
    internal static readonly string[] EmbedStepOutputs = [Tensors.UserEmbedding, Tensors.NextBuffers];

    private ServedModel(ModelBundle bundle, string snapshotsDirectory, OrtGraph embed, OrtGraph update, OrtGraph? embedStep, OrtGraph score,
        SnapshotHandle snapshot, RecommenderOptions options, IRecommenderMetrics? metrics, ILogger log, TimeProvider? clock, RecentClicks? clicks)
    {
        _prior = bundle.Manifest.RecentPopPrior;
        _clicks = clicks;
        _clock = clock ?? TimeProvider.System;
        Bundle = bundle;
        SnapshotsDirectory = snapshotsDirectory;
        _embed = embed;
        _update = update;
        _embedStep = embedStep;
        _score = score;
        _snapshot = snapshot;
        _metrics = metrics;
        _log = log;
        var dims = bundle.Manifest.Dims;
        Dim = dims.ItemDim;
        StateSize = dims.Layers * dims.Hidden;
        ReceptiveField = dims.ReceptiveField ?? int.MaxValue;
        SessionCapacity = dims.ReceptiveField ?? options.MaxSessionItems;
        SessionEventCapacity = Math.Max(SessionCapacity, options.MaxSessionItems);
        Rule = new SessionRule(bundle.Manifest.SessionGapMs);
        _sessionStart = bundle.StartToken(BundleSignatures.SessionStart).ToArray();
        _userStart = bundle.StartToken(BundleSignatures.UserStart).ToArray();
        int maxK = options.MaxK;
        _maxK = maxK;
        int maxBatch = options.Batching.MaxBatchSize;
        _maxBatch = maxBatch;
        _scorers = new ThreadLocal<BatchScorer>(() => new BatchScorer(maxBatch, maxK));
        if (embedStep is not null)
        {
            BufferSize = BundleSignatures.TcnBufferSize(dims);
            long entry = TcnStepCache.EntryBytes(BufferSize, Dim, StateSize, SessionCapacity);
            long slots = Math.Min((long)options.StepCacheMegabytes * 1024 * 1024 / entry, Array.MaxLength);
            _stepCache = slots > 0 ? new TcnStepCache((int)slots, BufferSize, Dim) : null;
        }
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

    /// <summary>Open-session event ids kept in a user's state (exactly once for the whole open session up to this
    /// many events): the larger of <see cref="SessionCapacity"/> and <see cref="RecommenderOptions.MaxSessionItems"/>.</summary>
    public int SessionEventCapacity { get; }

    public SessionRule Rule { get; }

    public MicroBatcher<EmbedJob, EmbedResult> Batcher { get; }

    /// <summary>True when requests are embedded with the incremental TCN graph (one row per new event).</summary>
    public bool Incremental => _embedStep is not null;

    /// <summary>Floats of TCN buffers per user (0 without the incremental graph).</summary>
    public int BufferSize { get; }

    /// <summary>Users the in-pod buffer cache holds (0: no cache).</summary>
    public int StepCacheCapacity => _stepCache?.Capacity ?? 0;

    /// <summary>Users the step cache holds now (0 without one).</summary>
    public int StepCacheOccupied => _stepCache?.Occupied ?? 0;

    /// <summary>The learned state before a user's first session (the caller must not modify it).</summary>
    public ReadOnlySpan<float> UserStart => _userStart;

    public SnapshotHandle CurrentSnapshot => _snapshot;

    /// <summary>True for a model whose high level reads the time between sessions (<see cref="ModelDims.TimeGap"/>): a
    /// session is folded in when the next one starts, so EndSession only marks it ended.</summary>
    public bool FoldsAtNextSession => Bundle.Manifest.Dims.TimeGap == true;

    /// <summary>The update graph (eq. 10) for one user: the next high-level state after a session with MEAN
    /// <paramref name="mean"/>, the next session starting <paramref name="gapMinutes"/> after its last event (read only
    /// by a <see cref="FoldsAtNextSession"/> model).</summary>
    public float[] CloseSession(float[] state, float[] mean, float gapMinutes) => RunUpdate(state, mean, [gapMinutes], 1);

    private float[] RunUpdate(float[] states, float[] means, float[] gapMinutes, int rows)
    {
        var dims = Bundle.Manifest.Dims;
        long start = Stopwatch.GetTimestamp();
        using var s = OrtValue.CreateTensorValueFromMemory(states, [rows, dims.Layers, dims.Hidden]);
        using var m = OrtValue.CreateTensorValueFromMemory(means, [rows, Dim]);
        using var g = FoldsAtNextSession ? OrtValue.CreateTensorValueFromMemory(gapMinutes, [rows]) : null;
        using var outputs = g is null ? _update.Run(s, m) : _update.Run(s, m, g);
        var result = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Ran(GraphRoles.Update, start);
        return result;
    }

    protected override void Free()
    {
        // No request holds a reference, so the queue is empty: the batcher stops at once.
        Batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _embed.Dispose();
        _update.Dispose();
        _embedStep?.Dispose();
        _score.Dispose();
        _scorers.Dispose();
        while (_batchWork.TryTake(out var work))
        {
            work.Dispose();
        }
        _snapshot.Retire();
    }
}

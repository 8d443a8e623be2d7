using HierTcn.Inference.Batching;
using HierTcn.Inference.Online;

namespace HierTcn.Inference;

/// <summary>
/// Configuration of a <see cref="RecommenderEngine"/>. Every default is the value used when the property is not
/// set; <see cref="Validate"/> lists every problem at once.
/// </summary>
public sealed class RecommenderOptions
{
    /// <summary>Parent directory of the model bundles (<c>BUNDLES/VERSION/manifest.json</c>). Required.</summary>
    public string BundlesDirectory { get; set; } = "";

    /// <summary>Item snapshot directory whose <c>CURRENT</c> pointer names the snapshot every model scores against,
    /// unless an arm names its own. Required.</summary>
    public string SnapshotsDirectory { get; set; } = "";

    /// <summary>The model versions served and their A/B weights (arms, in order). At least one.</summary>
    public IList<ModelArmOptions> Models { get; set; } = [];

    /// <summary>Salt of the sticky A/B assignment; changing it reshuffles users between arms. Default "hiertcn-ab".</summary>
    public string ExperimentSalt { get; set; } = "hiertcn-ab";

    /// <summary>Try ONNX Runtime's CUDA execution provider; when it cannot be appended the CPU provider is used and
    /// the fallback logged. Default false (CPU).</summary>
    public bool UseCuda { get; set; }

    /// <summary>CUDA device ordinal when <see cref="UseCuda"/>. Default 0.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>Limit of the CUDA provider's memory arena per graph session, in MiB (ONNX Runtime's
    /// <c>gpu_mem_limit</c>; the arena grows by what is requested, not by powers of two). Default 2048: the embed and
    /// step graphs need a few MiB at the paper's sizes, and pods sharing a GPU must not each take it all.</summary>
    public int CudaMemoryLimitMegabytes { get; set; } = 2048;

    /// <summary>cuDNN's convolution algorithm choice on CUDA: <c>HEURISTIC</c> (default: chosen without running them, so
    /// no request pays for a search when it brings a new batch shape), <c>EXHAUSTIVE</c> (every algorithm timed once
    /// per shape, the first time the shape is seen: the warm-up's shapes at start, any other under traffic) or
    /// <c>DEFAULT</c>.</summary>
    public string CudnnConvAlgoSearch { get; set; } = "HEURISTIC";

    /// <summary>ONNX Runtime intra-op threads per session. Default 1 (the batcher's workers are the parallelism).</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>ONNX Runtime inter-op threads per session. Default 1.</summary>
    public int InterOpThreads { get; set; } = 1;

    /// <summary>Recommend batching (max batch, max wait, queue capacity, workers).</summary>
    public MicroBatcherOptions Batching { get; set; } = new();

    /// <summary>k when a request asks for 0. Default 20.</summary>
    public int DefaultK { get; set; } = 20;

    /// <summary>Largest k. Default 1000.</summary>
    public int MaxK { get; set; } = 1000;

    /// <summary>Most candidate ids in one Recommend. Default 10,000.</summary>
    public int MaxCandidates { get; set; } = 10_000;

    /// <summary>Most excluded ids in one Recommend. Default 10,000.</summary>
    public int MaxExclusions { get; set; } = 10_000;

    /// <summary>Most events in one ObserveEvents call. Default 10,000.</summary>
    public int MaxEventsPerCall { get; set; } = 10_000;

    /// <summary>Longest event id, characters. Default 128.</summary>
    public int MaxEventIdLength { get; set; } = 128;

    /// <summary>Events and requests stamped before this (ms since the epoch) are refused as malformed. Default
    /// 946684800000 (2000-01-01 UTC).</summary>
    public long MinTimestampMs { get; set; } = 946_684_800_000;

    /// <summary>Events and requests stamped more than this many ms after the server's clock are refused. Default
    /// 60,000 (a minute of clock skew). Real events that arrive after an accepted event stamped ahead are inserted
    /// before it in the open session, not dropped.</summary>
    public long MaxFutureSkewMs { get; set; } = 60_000;

    /// <summary>Open-session items kept per user for GRU-based models (which have no receptive field); TCN models keep
    /// exactly their receptive field. Also the least number of open-session event ids kept per user (exactly once
    /// across the open session, whatever the order). Default 256.</summary>
    public int MaxSessionItems { get; set; } = 256;

    /// <summary>Embed with the bundle's incremental TCN graph (role embed_step, <c>tcn_row_step.onnx</c>): one TCN row
    /// per new event instead of the whole session window per request. Bundles without that graph, and false, run the
    /// full-window graph. Default true.</summary>
    public bool IncrementalEmbedding { get; set; } = true;

    /// <summary>Memory for the in-pod cache of each version's per-user TCN buffers and last embedding (inference/README.md,
    /// "Incremental TCN"), in MiB per model version; 0 turns the cache off (every request primes its buffers from the
    /// session window). Default 512 (about 8,200 users at the paper's sizes, 65,592 bytes each).</summary>
    public int StepCacheMegabytes { get; set; } = 512;

    /// <summary>Before a model version takes traffic (at start and on a hot swap), made-up batches run through its
    /// serving path (the high-level update, the embed or step graph, the step cache, scoring with candidates and
    /// exclusions) for at most this many milliseconds or 64 rounds, whichever ends first, so that the first real
    /// requests do not pay for compiling that path. Nothing is read from or written to the state store, the cache is
    /// emptied afterwards and no metric counts the warm-up. 0 turns it off. Default 1000.</summary>
    public int WarmupMilliseconds { get; set; } = 1000;

    /// <summary>Compare-and-swap attempts when another writer changed a user's state concurrently. Default 8.</summary>
    public int MaxStateWriteAttempts { get; set; } = 8;

    /// <summary>How often the snapshot <c>CURRENT</c> pointers are checked for a new day's snapshot. Default 10 s;
    /// zero disables polling (<see cref="RecommenderEngine.RefreshSnapshotsAsync"/> still works).</summary>
    public TimeSpan SnapshotPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the engine keeps the clicks it applies, for models with a recent-popularity prior (their score
    /// reads each item's clicks in the window before the request, manifest <c>recent_pop_prior</c>); a model whose
    /// window is longer is refused at load. Default 60 minutes.</summary>
    public int RecentClicksRetentionMinutes { get; set; } = 60;

    /// <summary>Most clicks kept for the recent-popularity prior (a 24-byte entry each, and its (user, event id) key in a
    /// hash set: 4,000,000 keyed clicks measured at 210 MiB of managed heap, <c>loadgen clicks-memory</c>); above it the
    /// oldest are dropped and counted (<c>hiertcn_inference_recent_clicks_dropped_total</c>). They are kept whatever
    /// models are loaded, so a prior model swapped in ranks with full windows at once. 0 keeps none, and a model with a
    /// prior is then refused at load. Default 4,000,000.</summary>
    public int RecentClicksCapacity { get; set; } = 4_000_000;

    /// <summary>Online quality per model version: sampling, memory, list length.</summary>
    public OnlineMetricsOptions OnlineMetrics { get; set; } = new();

    /// <summary>Returns every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(BundlesDirectory))
            errors.Add("BundlesDirectory is required");
        if (string.IsNullOrWhiteSpace(SnapshotsDirectory))
            errors.Add("SnapshotsDirectory is required");
        if (Models.Count == 0)
            errors.Add("Models is empty; list at least one model version (Models:0:Version)");
        for (int i = 0; i < Models.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Models[i].Version))
                errors.Add($"Models:{i}:Version is empty");
            if (!double.IsFinite(Models[i].Weight) || Models[i].Weight < 0)
                errors.Add($"Models:{i}:Weight is {Models[i].Weight}; weights are finite and >= 0");
        }
        if (Models.Count > 0 && Models.All(m => m.Weight == 0))
            errors.Add("Models: every weight is zero; at least one arm needs users");
        if (Models.Select(m => m.Version).Distinct(StringComparer.Ordinal).Count() != Models.Count)
            errors.Add("Models lists a version twice");
        if (IntraOpThreads < 1 || InterOpThreads < 1)
            errors.Add($"IntraOpThreads ({IntraOpThreads}) and InterOpThreads ({InterOpThreads}) must be at least 1");
        if (CudaDeviceId < 0)
            errors.Add($"CudaDeviceId is {CudaDeviceId}; it cannot be negative");
        if (CudaMemoryLimitMegabytes < 1)
            errors.Add($"CudaMemoryLimitMegabytes is {CudaMemoryLimitMegabytes}; at least 1");
        if (CudnnConvAlgoSearch is not ("HEURISTIC" or "EXHAUSTIVE" or "DEFAULT"))
            errors.Add($"CudnnConvAlgoSearch is \"{CudnnConvAlgoSearch}\"; one of HEURISTIC, EXHAUSTIVE, DEFAULT");
        if (Batching.MaxBatchSize < 1 || Batching.MaxWaitMicroseconds < 0 || Batching.QueueCapacity < 1 || Batching.Workers < 1)
            errors.Add($"Batching: MaxBatchSize ({Batching.MaxBatchSize}), QueueCapacity ({Batching.QueueCapacity}) and Workers "
                + $"({Batching.Workers}) must be at least 1, MaxWaitMicroseconds ({Batching.MaxWaitMicroseconds}) at least 0");
        if (MaxK < 1)
            errors.Add($"MaxK is {MaxK}; at least 1");
        if (DefaultK < 1 || DefaultK > MaxK)
            errors.Add($"DefaultK is {DefaultK}; allowed 1..MaxK ({MaxK})");
        if (MaxCandidates < 1 || MaxExclusions < 0 || MaxEventsPerCall < 1 || MaxEventIdLength < 1)
            errors.Add("MaxCandidates, MaxEventsPerCall and MaxEventIdLength must be at least 1, MaxExclusions at least 0");
        if (MinTimestampMs < 0 || MaxFutureSkewMs < 0)
            errors.Add($"MinTimestampMs ({MinTimestampMs}) and MaxFutureSkewMs ({MaxFutureSkewMs}) cannot be negative");
        if (MaxSessionItems < 1)
            errors.Add($"MaxSessionItems is {MaxSessionItems}; at least 1");
        if (StepCacheMegabytes < 0)
            errors.Add($"StepCacheMegabytes is {StepCacheMegabytes}; 0 (off) or positive");
        if (WarmupMilliseconds < 0)
            errors.Add($"WarmupMilliseconds is {WarmupMilliseconds}; 0 (off) or positive");
        if (MaxStateWriteAttempts < 1)
            errors.Add($"MaxStateWriteAttempts is {MaxStateWriteAttempts}; at least 1");
        if (RecentClicksRetentionMinutes < 1 || RecentClicksCapacity < 0)
            errors.Add($"RecentClicksRetentionMinutes ({RecentClicksRetentionMinutes}) must be at least 1 and RecentClicksCapacity ({RecentClicksCapacity}) 0 (off) or more");
        if (SnapshotPollInterval < TimeSpan.Zero)
            errors.Add($"SnapshotPollInterval is {SnapshotPollInterval}; zero (off) or positive");
        errors.AddRange(OnlineMetrics.Validate());
        return errors;
    }
}

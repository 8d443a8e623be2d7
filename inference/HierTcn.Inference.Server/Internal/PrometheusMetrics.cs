using HierTcn.Formats;
using HierTcn.Security.Server;
using Prometheus;

namespace HierTcn.Inference.Server.Internal;

/// <summary>The service's Prometheus metrics (all prefixed hiertcn_inference_): call latency by method and model
/// version, calls by method and gRPC status code, batch sizes and expiries, queue depth, ONNX Runtime time per graph
/// role, state store time, events by outcome, cold-start answers, non-finite embeddings, failed snapshot refreshes,
/// one info series per loaded version naming its execution provider and snapshot, and when that snapshot was written;
/// the online A/B series (<see cref="OnlineMetricNames"/>); calls refused by authorization or a rate limit.
/// </summary>
internal sealed class PrometheusMetrics : IRecommenderMetrics, ISecurityMetrics
{
    private static readonly Counter RefusedCalls = Metrics.CreateCounter(
        "hiertcn_inference_refused_calls_total", "Calls refused before they ran, by method and code (Unauthenticated, PermissionDenied).",
        new CounterConfiguration { LabelNames = ["method", "code"] });

    private static readonly Counter RateLimitedCalls = Metrics.CreateCounter(
        "hiertcn_inference_rate_limited_total",
        "Calls refused with RESOURCE_EXHAUSTED by a rate limit (requests per caller, client_events per caller, user_events per user), by method and limit.",
        new CounterConfiguration { LabelNames = ["method", "limit"] });

    private static readonly Histogram CallLatency = Metrics.CreateHistogram(
        "hiertcn_inference_call_duration_seconds", "Latency of gRPC calls by method and model version.",
        new HistogramConfiguration { LabelNames = ["method", "model_version"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 18) });

    private static readonly Counter Calls = Metrics.CreateCounter(
        "hiertcn_inference_calls_total", "gRPC calls by method and status code (OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, ...).",
        new CounterConfiguration { LabelNames = ["method", "code"] });

    private static readonly Histogram BatchSize = Metrics.CreateHistogram(
        "hiertcn_inference_batch_size", "Requests per Recommend batch, by model version.",
        new HistogramConfiguration { LabelNames = ["model_version"], Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    private static readonly Counter Expired = Metrics.CreateCounter(
        "hiertcn_inference_expired_total", "Requests dropped uncomputed because their deadline passed in the queue.",
        new CounterConfiguration { LabelNames = ["model_version"] });

    private static readonly Gauge QueueDepth = Metrics.CreateGauge(
        "hiertcn_inference_queue_depth", "Requests waiting in a model version's batch queue.",
        new GaugeConfiguration { LabelNames = ["model_version"] });

    private static readonly Histogram OnnxSeconds = Metrics.CreateHistogram(
        "hiertcn_inference_onnx_run_seconds", "ONNX Runtime time per run, by model version and graph role (embed, update).",
        new HistogramConfiguration { LabelNames = ["model_version", "role"], Buckets = Histogram.ExponentialBuckets(0.00005, 2, 18) });

    private static readonly Histogram StoreSeconds = Metrics.CreateHistogram(
        "hiertcn_inference_state_store_seconds", "State store time per operation (get, cas, confirm).",
        new HistogramConfiguration { LabelNames = ["operation"], Buckets = Histogram.ExponentialBuckets(0.00002, 2, 18) });

    private static readonly Counter Events = Metrics.CreateCounter(
        "hiertcn_inference_events_total", "Observed events by outcome (applied, duplicate, late, unknown_item).",
        new CounterConfiguration { LabelNames = ["outcome"] });

    private static readonly Counter ColdStarts = Metrics.CreateCounter(
        "hiertcn_inference_cold_start_responses_total",
        "Recommend and GetUserEmbedding answers computed from the model's start state because the user had no stored state under that version (unknown_user), by method and model version.",
        new CounterConfiguration { LabelNames = ["method", "model_version"] });

    private static readonly Counter DegradedAnswers = Metrics.CreateCounter(
        "hiertcn_inference_degraded_responses_total",
        "Recommend answers ranked from the model's start state because the user's state could not be read (state store or shard unreachable, refusing, or too slow for the deadline), by method and model version.",
        new CounterConfiguration { LabelNames = ["method", "model_version"] });

    private static readonly Counter NonFinite = Metrics.CreateCounter(
        "hiertcn_inference_nonfinite_embeddings_total", "User embeddings refused because the model produced a non-finite value, by model version.",
        new CounterConfiguration { LabelNames = ["model_version"] });

    private static readonly Gauge RecentClicksKept = Metrics.CreateGauge(
        "hiertcn_inference_recent_clicks",
        "Clicks this pod keeps for models with a recent-popularity prior (the events it applied and the clicks sent by CountClicks, within RecentClicksRetentionMinutes).");

    private static readonly Counter FeedClicks = Metrics.CreateCounter(
        "hiertcn_inference_count_clicks_total", "Clicks sent by CountClicks, by outcome (counted, duplicate, too_old).",
        new CounterConfiguration { LabelNames = ["outcome"] });

    private static readonly Counter RecentClicksDropped = Metrics.CreateCounter(
        "hiertcn_inference_recent_clicks_dropped_total",
        "Clicks dropped within the retention because RecentClicksCapacity was reached: the prior then undercounts.");

    private static readonly Counter RefreshFailures = Metrics.CreateCounter(
        "hiertcn_inference_snapshot_refresh_failures_total",
        "Failed loads of a new current item snapshot (the version keeps serving its current one), by model version.",
        new CounterConfiguration { LabelNames = ["model_version"] });

    private static readonly Gauge SnapshotCreated = Metrics.CreateGauge(
        "hiertcn_inference_snapshot_created_timestamp_seconds",
        "When the item snapshot a loaded model version scores against was written (Unix seconds, from its header).",
        new GaugeConfiguration { LabelNames = ["model_version", "snapshot_version"] });

    private static readonly Gauge ModelInfo = Metrics.CreateGauge(
        "hiertcn_inference_model_info", "1 per loaded model version, labelled with its execution provider and item snapshot version.",
        new GaugeConfiguration { LabelNames = ["model_version", "provider", "snapshot_version"] });

    private static readonly Counter OnlineLists = Metrics.CreateCounter(
        OnlineMetricNames.Lists, "Sampled Recommend answers remembered as shown, by model version.",
        new CounterConfiguration { LabelNames = [OnlineMetricNames.VersionLabel] });

    private static readonly Counter OnlineUsers = Metrics.CreateCounter(
        OnlineMetricNames.Users, "Sampled users new to this process's remembered lists, by model version.",
        new CounterConfiguration { LabelNames = [OnlineMetricNames.VersionLabel] });

    private static readonly Counter OnlineNextEvents = Metrics.CreateCounter(
        OnlineMetricNames.NextEvents, "Next events matched to the list shown before them, by the version that showed it.",
        new CounterConfiguration { LabelNames = [OnlineMetricNames.VersionLabel] });

    private static readonly Counter OnlineHits = Metrics.CreateCounter(
        OnlineMetricNames.Hits, "Matched next events whose item was among the first k items shown, by model version and k.",
        new CounterConfiguration { LabelNames = [OnlineMetricNames.VersionLabel, OnlineMetricNames.CutoffLabel] });

    private static readonly Histogram OnlineReciprocalRank = Metrics.CreateHistogram(
        OnlineMetricNames.ReciprocalRank, "Reciprocal rank of each matched next event's item in the list shown (0 when absent), by model version.",
        new HistogramConfiguration { LabelNames = [OnlineMetricNames.VersionLabel], Buckets = [0, 0.05, 0.1, 0.2, 0.5, 1] });

    private static readonly Counter OnlineReciprocalRankSquares = Metrics.CreateCounter(
        OnlineMetricNames.ReciprocalRankSquares, "Sum of squared reciprocal ranks of matched next events (for the MRR's variance), by model version.",
        new CounterConfiguration { LabelNames = [OnlineMetricNames.VersionLabel] });

    private static readonly Counter OnlineUnmatched = Metrics.CreateCounter(
        OnlineMetricNames.UnmatchedEvents, "Applied events of sampled users that answer no remembered list, by model version.",
        new CounterConfiguration { LabelNames = [OnlineMetricNames.VersionLabel] });

    private static readonly Counter ExperimentRejections = Metrics.CreateCounter(
        "hiertcn_inference_experiment_file_rejections_total",
        "Changes of the experiment file refused (unreadable, malformed, invalid, or a version that does not load); the configuration in use keeps serving.");

    private static readonly Gauge ExperimentAppliedAt = Metrics.CreateGauge(
        "hiertcn_inference_experiment_applied_timestamp_seconds",
        "When the experiment (A/B arms and salt) in use was applied from the experiment file (Unix seconds), labelled with its salt.",
        new GaugeConfiguration { LabelNames = ["salt"] });

    // Published once the watch is configured (RecommenderServer:ExperimentConfigMap): a pod that only has the file
    // has no series, so an alert on 0 concerns pods that should be watching.
    private static readonly Gauge ExperimentApiWatch = Metrics.CreateGauge(
        "hiertcn_inference_experiment_api_watch_up",
        "1 while the experiment ConfigMap is followed through the Kubernetes API, 0 while the mounted file is (no token, the API not reachable, or the ConfigMap missing); absent where no ConfigMap is configured.",
        new GaugeConfiguration { SuppressInitialValue = true });

    private static readonly string[] CutoffText = [.. OnlineMetricNames.Cutoffs.Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private readonly Lock _gate = new();
    private List<(string, string, string)> _loaded = [];
    private List<(string, string)> _snapshots = [];

    public void Batch(string modelVersion, int size, int expired, int queueDepth)
    {
        if (size > 0)
            BatchSize.WithLabels(modelVersion).Observe(size);
        if (expired > 0)
            Expired.WithLabels(modelVersion).Inc(expired);
        QueueDepth.WithLabels(modelVersion).Set(queueDepth);
    }

    public void OnnxRun(string modelVersion, string role, double seconds) => OnnxSeconds.WithLabels(modelVersion, role).Observe(seconds);

    public void StateStore(string operation, double seconds) => StoreSeconds.WithLabels(operation).Observe(seconds);

    public void Loaded(IReadOnlyList<(string ModelVersion, string Provider, string SnapshotVersion)> versions)
    {
        lock (_gate)
        {
            foreach (var old in _loaded)
                ModelInfo.RemoveLabelled(old.Item1, old.Item2, old.Item3);
            _loaded = [.. versions];
            foreach (var (v, p, s) in versions)
                ModelInfo.WithLabels(v, p, s).Set(1);
        }
    }

    public void SnapshotsLoaded(IReadOnlyList<(string ModelVersion, string SnapshotVersion, DateTimeOffset Created)> snapshots)
    {
        lock (_gate)
        {
            foreach (var (v, s) in _snapshots)
                SnapshotCreated.RemoveLabelled(v, s);
            _snapshots = [.. snapshots.Select(x => (x.ModelVersion, x.SnapshotVersion))];
            foreach (var (v, s, created) in snapshots)
                SnapshotCreated.WithLabels(v, s).Set(created.ToUnixTimeMilliseconds() / 1000.0);
        }
    }

    public void Refused(string method, string code) => RefusedCalls.WithLabels(method, code).Inc();

    public void RateLimited(string method, string limit) => RateLimitedCalls.WithLabels(method, limit).Inc();

    public void NonFiniteEmbedding(string modelVersion) => NonFinite.WithLabels(modelVersion).Inc();

    public void SnapshotRefreshFailed(string modelVersion) => RefreshFailures.WithLabels(modelVersion).Inc();

    public void RecentClicks(int kept, int dropped)
    {
        RecentClicksKept.Set(kept);
        RecentClicksDropped.Inc(dropped);
    }

    public void ListShown(string modelVersion, bool newUser)
    {
        OnlineLists.WithLabels(modelVersion).Inc();
        if (newUser)
            OnlineUsers.WithLabels(modelVersion).Inc();
    }

    public void NextEventRanked(string modelVersion, int rank)
    {
        double reciprocal = rank > 0 ? 1.0 / rank : 0;
        OnlineNextEvents.WithLabels(modelVersion).Inc();
        for (int i = 0; i < CutoffText.Length; i++)
        {
            // Every cut-off's series exists from the first event, so a rate of 0 hits reads 0, not absent.
            OnlineHits.WithLabels(modelVersion, CutoffText[i]).Inc(rank > 0 && rank <= OnlineMetricNames.Cutoffs[i] ? 1 : 0);
        }
        OnlineReciprocalRank.WithLabels(modelVersion).Observe(reciprocal);
        OnlineReciprocalRankSquares.WithLabels(modelVersion).Inc(reciprocal * reciprocal);
    }

    /// <summary>The experiment file was applied (at start or on a change).</summary>
    public static void ExperimentApplied(string salt, DateTimeOffset at)
    {
        foreach (var labels in ExperimentAppliedAt.GetAllLabelValues().ToList())
            ExperimentAppliedAt.RemoveLabelled(labels);
        ExperimentAppliedAt.WithLabels(salt).Set(at.ToUnixTimeMilliseconds() / 1000.0);
    }

    /// <summary>Whether the experiment ConfigMap is followed through the Kubernetes API now.</summary>
    public static void ExperimentApiWatchUp(bool up) => ExperimentApiWatch.Set(up ? 1 : 0);

    /// <summary>A change of the experiment file was refused.</summary>
    public static void ExperimentRefused() => ExperimentRejections.Inc();

    public void NextEventUnmatched(string modelVersion) => OnlineUnmatched.WithLabels(modelVersion).Inc();

    public static void Call(string method, string modelVersion, string code, double seconds)
    {
        Calls.WithLabels(method, code).Inc();
        CallLatency.WithLabels(method, modelVersion.Length == 0 ? "none" : modelVersion).Observe(seconds);
    }

    /// <summary>A request of <paramref name="method"/> whose bytes are not a valid message was refused with
    /// INVALID_ARGUMENT before the service ran.</summary>
    public static void Malformed(string method) => Calls.WithLabels(method, nameof(Grpc.Core.StatusCode.InvalidArgument)).Inc();

    /// <summary>An OK answer of <paramref name="method"/> was computed for a user unknown to the version (cold start).</summary>
    public static void ColdStart(string method, string modelVersion) => ColdStarts.WithLabels(method, modelVersion).Inc();

    /// <summary>An OK answer of <paramref name="method"/> was ranked from the start state because the user's state
    /// could not be read (degraded).</summary>
    public static void Degraded(string method, string modelVersion) => DegradedAnswers.WithLabels(method, modelVersion).Inc();

    public static void ObservedEvents(ObserveSummary s)
    {
        Events.WithLabels("applied").Inc(s.Applied);
        Events.WithLabels("duplicate").Inc(s.Duplicates);
        Events.WithLabels("late").Inc(s.Late);
        Events.WithLabels("unknown_item").Inc(s.UnknownItems);
    }

    public static void CountedClicks(CountClicksSummary s)
    {
        FeedClicks.WithLabels("counted").Inc(s.Counted);
        FeedClicks.WithLabels("duplicate").Inc(s.Duplicates);
        FeedClicks.WithLabels("too_old").Inc(s.TooOld);
    }
}

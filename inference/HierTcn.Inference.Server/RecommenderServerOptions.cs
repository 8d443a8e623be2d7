namespace HierTcn.Inference.Server;

/// <summary>Server settings (section "RecommenderServer"). The engine's settings are the "Recommender" section
/// (<see cref="RecommenderOptions"/>); the embedded store's the "StateStore" section
/// (<see cref="HierTcn.StateStore.StateStoreOptions"/>); the remote shards' the "StateStoreClient" section
/// (<see cref="HierTcn.StateStore.Client.RemoteStateStoreOptions"/>); a RESP cluster's the "StateStoreClient:Resp"
/// section (<see cref="HierTcn.StateStore.Client.RespStateStoreOptions"/>).</summary>
public sealed class RecommenderServerOptions
{
    public const string Section = "RecommenderServer";

    /// <summary>"Embedded" (default: the FASTER engine in-process, data in StateStore:DataDirectory), "Remote"
    /// (gRPC shards listed in StateStoreClient:Shards) or "Resp" (a Redis Cluster or Garnet cluster whose nodes are
    /// listed in StateStoreClient:Resp:Endpoints).</summary>
    public string StateStoreMode { get; set; } = "Embedded";

    /// <summary>Port of the Prometheus /metrics endpoint (HTTP/1.1 cleartext; the gRPC port speaks HTTP/2 only).
    /// Default 9465; 0 disables it.</summary>
    public int MetricsPort { get; set; } = 9465;

    /// <summary>Interface the metrics endpoint binds. Default "+" (all); tests use 127.0.0.1.</summary>
    public string MetricsHostname { get; set; } = "+";

    /// <summary>Largest gRPC message received, bytes; a larger one is refused with RESOURCE_EXHAUSTED. Default 4 MiB
    /// (10,000 candidate ids take about 100 KB).</summary>
    public int MaxMessageBytes { get; set; } = 4 << 20;

    /// <summary>Deadline applied to a Recommend or GetUserEmbedding call that sets none, ms. Default 1000.</summary>
    public int DefaultDeadlineMs { get; set; } = 1000;

    /// <summary>Events a stream applies per engine call. Default 512.</summary>
    public int StreamChunk { get; set; } = 512;

    /// <summary>JSON file holding the A/B experiment (salt and model arms), instead of Recommender:ExperimentSalt and
    /// Recommender:Models: read at start, then followed (<see cref="ExperimentFilePollInterval"/>); a change is
    /// applied without a restart, a bad one refused (logged, counted) while the current arms keep serving. Empty
    /// (default): the arms come from configuration.</summary>
    public string ExperimentFile { get; set; } = "";

    /// <summary>How often the experiment file is read for changes. Default 2 s.</summary>
    public TimeSpan ExperimentFilePollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Name of the ConfigMap the experiment file is mounted from, in the pod's namespace: when set, and the
    /// Kubernetes API is reachable with the pod's service account, the server watches the ConfigMap through the API
    /// (its key named like <see cref="ExperimentFile"/>) and applies a change within moments of the API server having
    /// it, where the mounted file changes only after the kubelet's sync (a minute or more); the file poll stands in
    /// while the API watch is down. Needs get, list and watch on that ConfigMap (the chart's Role). Empty (default):
    /// the file alone.</summary>
    public string ExperimentConfigMap { get; set; } = "";

    /// <summary>Base URL of the Kubernetes API for <see cref="ExperimentConfigMap"/>. Empty (default):
    /// <c>https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT</c>, as in every pod.</summary>
    public string KubernetesApiUrl { get; set; } = "";

    /// <summary>Directory of the pod's service-account credentials (<c>token</c>, <c>namespace</c>, <c>ca.crt</c>) for
    /// <see cref="ExperimentConfigMap"/>. Default /var/run/secrets/kubernetes.io/serviceaccount.</summary>
    public string ServiceAccountDirectory { get; set; } = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>Whether the gRPC reflection service is mapped (it lists every service and message to anyone who may
    /// read). Default false.</summary>
    public bool EnableReflection { get; set; }

    /// <summary>Events one caller (its token or certificate name, else its address) may send a second across
    /// ObserveEvents and ObserveEventStream; a call over it is refused whole with RESOURCE_EXHAUSTED, and a call
    /// with more events than this is always refused. Default 0: no limit.</summary>
    public int EventsPerSecondPerClient { get; set; }

    /// <summary>Events one user may receive a minute (fixed one-minute windows); a call that would take any of its
    /// users over is refused whole with RESOURCE_EXHAUSTED. Default 0: no limit.</summary>
    public int EventsPerUserPerMinute { get; set; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (StateStoreMode is not ("Embedded" or "Remote" or "Resp"))
            errors.Add($"{Section}:StateStoreMode is '{StateStoreMode}'; use Embedded, Remote or Resp");
        if (MetricsPort is < 0 or > 65535)
            errors.Add($"{Section}:MetricsPort is {MetricsPort}; allowed 0..65535");
        if (string.IsNullOrWhiteSpace(MetricsHostname))
            errors.Add($"{Section}:MetricsHostname is empty");
        if (MaxMessageBytes < 1 << 16)
            errors.Add($"{Section}:MaxMessageBytes is {MaxMessageBytes}; at least 65536");
        if (DefaultDeadlineMs < 1)
            errors.Add($"{Section}:DefaultDeadlineMs is {DefaultDeadlineMs}; at least 1");
        if (EventsPerSecondPerClient < 0)
            errors.Add($"{Section}:EventsPerSecondPerClient is {EventsPerSecondPerClient}; 0 (no limit) or more");
        if (EventsPerUserPerMinute < 0)
            errors.Add($"{Section}:EventsPerUserPerMinute is {EventsPerUserPerMinute}; 0 (no limit) or more");
        if (StreamChunk < 1)
            errors.Add($"{Section}:StreamChunk is {StreamChunk}; at least 1");
        if (ExperimentFilePollInterval <= TimeSpan.Zero)
            errors.Add($"{Section}:ExperimentFilePollInterval is {ExperimentFilePollInterval}; positive");
        if (ExperimentConfigMap.Length > 0 && ExperimentFile.Length == 0)
            errors.Add($"{Section}:ExperimentConfigMap is set but ExperimentFile is empty; the ConfigMap's key is the file's name and the file is the fallback");
        return errors;
    }
}

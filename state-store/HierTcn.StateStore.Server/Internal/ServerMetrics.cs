using HierTcn.Security.Server;
using Prometheus;

namespace HierTcn.StateStore.Server.Internal;

/// <summary>The Prometheus metrics of a shard: operations and latency by method, log and disk sizes, checkpoint age,
/// recovery time, whether writes are refused, calls refused by authorization or a rate limit.</summary>
/// <remarks>Each server has its own registry (exported by its metrics endpoint), so two servers in one process
/// (tests) do not mix their gauges.</remarks>
internal sealed class ServerMetrics : ISecurityMetrics
{
    private readonly Counter _refused;
    private readonly Counter _rateLimited;
    private readonly Counter _operations;
    private readonly Histogram _latency;
    private readonly Gauge _logBytes;
    private readonly Gauge _diskBytes;
    private readonly Gauge _checkpointAge;
    private readonly Gauge _recoverySeconds;
    private readonly Gauge _writesRefused;
    private readonly Counter _damagedRecords;
    private readonly Gauge _walEntriesLost;
    private readonly Gauge _refusing;
    private StateStoreEngine? _engine;

    public ServerMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        _operations = factory.CreateCounter(
            "hiertcn_statestore_operations_total", "State store operations by gRPC method and outcome.",
            new CounterConfiguration { LabelNames = ["method", "status"] });
        _latency = factory.CreateHistogram(
            "hiertcn_statestore_operation_duration_seconds", "State store operation latency by gRPC method (per item for Apply).",
            new HistogramConfiguration { LabelNames = ["method"], Buckets = Histogram.ExponentialBuckets(0.00005, 2, 18) });
        _logBytes = factory.CreateGauge(
            "hiertcn_statestore_log_bytes", "Bytes of the FASTER store log (log=store) and of the write-ahead log (log=wal).",
            new GaugeConfiguration { LabelNames = ["log"] });
        _diskBytes = factory.CreateGauge("hiertcn_statestore_disk_bytes", "Bytes of all files under the data directory.");
        _checkpointAge = factory.CreateGauge("hiertcn_statestore_checkpoint_age_seconds", "Seconds since the last completed checkpoint.");
        _recoverySeconds = factory.CreateGauge("hiertcn_statestore_recovery_seconds", "Time the last start spent recovering (checkpoint plus WAL replay).");
        _writesRefused = factory.CreateGauge("hiertcn_statestore_writes_refused", "1 while the store refuses writes (disk full, quota, I/O error), else 0.");
        _damagedRecords = factory.CreateCounter("hiertcn_statestore_damaged_records_total", "Stored records that failed their checksum when read (each treated as absent: a cold start for its user).");
        _walEntriesLost = factory.CreateGauge("hiertcn_statestore_wal_entries_lost", "Write-ahead log entries the last recovery found missing or damaged (their users hold an older state).");
        _refusing = factory.CreateGauge("hiertcn_statestore_refusing_to_serve", "1 when the shard refuses to serve because its files are damaged (the log says why and how to repair), else 0.");
        _refused = factory.CreateCounter(
            "hiertcn_statestore_refused_calls_total", "Calls refused before they ran, by gRPC method and code (Unauthenticated, PermissionDenied).",
            new CounterConfiguration { LabelNames = ["method", "code"] });
        _rateLimited = factory.CreateCounter(
            "hiertcn_statestore_rate_limited_total", "Calls refused by a rate limit (RESOURCE_EXHAUSTED), by gRPC method and limit.",
            new CounterConfiguration { LabelNames = ["method", "limit"] });
        registry.AddBeforeCollectCallback(Refresh);
    }

    public void Attach(StateStoreEngine engine)
    {
        _engine = engine;
        Refresh();
    }

    /// <summary>Counts a call rejected before it reached the store: <paramref name="status"/> "invalid_argument"
    /// (malformed request) or "wrong_shard" (a key of another shard).</summary>
    public void Rejected(string method, string status) => _operations.WithLabels(method, status).Inc();

    /// <summary>Sets the refusing-to-serve gauge (damaged files; see the log for the reason and repair).</summary>
    public void SetRefusing(bool refusing) => _refusing.Set(refusing ? 1 : 0);

    public void Refused(string method, string code) => _refused.WithLabels(method, code).Inc();

    public void RateLimited(string method, string limit) => _rateLimited.WithLabels(method, limit).Inc();

    /// <summary>Counts a call rejected before it reached the store (malformed request, invalid argument).</summary>
    public void Rejected(string method) => Rejected(method, "invalid_argument");

    public void Observe(string method, StoreStatus status, long startTimestamp)
    {
        _operations.WithLabels(method, StatusLabel(status)).Inc();
        _latency.WithLabels(method).Observe(System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
    }

    private void Refresh()
    {
        if (_engine is not { } engine)
            return;
        var stats = engine.GetStats();
        _logBytes.WithLabels("store").Set(stats.StoreLogBytes);
        _logBytes.WithLabels("wal").Set(stats.WalBytes);
        _diskBytes.Set(stats.DiskBytes);
        _checkpointAge.Set(stats.LastCheckpointUtc is { } at ? (DateTimeOffset.UtcNow - at).TotalSeconds : double.NaN);
        _recoverySeconds.Set(stats.RecoveryTime.TotalSeconds);
        _writesRefused.Set(stats.WriteFault is null ? 0 : 1);
        _damagedRecords.IncTo(stats.DamagedRecords);
        _walEntriesLost.Set(stats.WalEntriesLost);
    }

    private static string StatusLabel(StoreStatus status) => status switch
    {
        StoreStatus.Ok => "ok",
        StoreStatus.NotFound => "not_found",
        StoreStatus.VersionMismatch => "version_mismatch",
        StoreStatus.WritesRefused => "writes_refused",
        StoreStatus.InvalidArgument => "invalid_argument",
        StoreStatus.Damaged => "damaged",
        _ => "unavailable",
    };
}

using Prometheus;

namespace HierTcn.StateStore.Server.Internal;

/// <summary>The Prometheus metrics of a shard: operations and latency by method, log and disk sizes, checkpoint age,
/// recovery time, whether writes are refused.</summary>
internal sealed class ServerMetrics
{
    private static readonly Counter Operations = Metrics.CreateCounter(
        "hiertcn_statestore_operations_total", "State store operations by gRPC method and outcome.",
        new CounterConfiguration { LabelNames = ["method", "status"] });

    private static readonly Histogram Latency = Metrics.CreateHistogram(
        "hiertcn_statestore_operation_duration_seconds", "State store operation latency by gRPC method (per item for Apply).",
        new HistogramConfiguration { LabelNames = ["method"], Buckets = Histogram.ExponentialBuckets(0.00005, 2, 18) });

    private static readonly Gauge LogBytes = Metrics.CreateGauge(
        "hiertcn_statestore_log_bytes", "Bytes of the FASTER store log (log=store) and of the write-ahead log (log=wal).",
        new GaugeConfiguration { LabelNames = ["log"] });

    private static readonly Gauge DiskBytes = Metrics.CreateGauge(
        "hiertcn_statestore_disk_bytes", "Bytes of all files under the data directory.");

    private static readonly Gauge CheckpointAge = Metrics.CreateGauge(
        "hiertcn_statestore_checkpoint_age_seconds", "Seconds since the last completed checkpoint.");

    private static readonly Gauge RecoverySeconds = Metrics.CreateGauge(
        "hiertcn_statestore_recovery_seconds", "Time the last start spent recovering (checkpoint plus WAL replay).");

    private static readonly Gauge WritesRefused = Metrics.CreateGauge(
        "hiertcn_statestore_writes_refused", "1 while the store refuses writes (disk full, quota, I/O error), else 0.");

    private StateStoreEngine? _engine;

    public ServerMetrics() => Metrics.DefaultRegistry.AddBeforeCollectCallback(Refresh);

    public void Attach(StateStoreEngine engine)
    {
        _engine = engine;
        Refresh();
    }

    public void Observe(string method, StoreStatus status, long startTimestamp)
    {
        Operations.WithLabels(method, StatusLabel(status)).Inc();
        Latency.WithLabels(method).Observe(System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
    }

    private void Refresh()
    {
        if (_engine is not { } engine)
            return;
        var stats = engine.GetStats();
        LogBytes.WithLabels("store").Set(stats.StoreLogBytes);
        LogBytes.WithLabels("wal").Set(stats.WalBytes);
        DiskBytes.Set(stats.DiskBytes);
        CheckpointAge.Set(stats.LastCheckpointUtc is { } at ? (DateTimeOffset.UtcNow - at).TotalSeconds : double.NaN);
        RecoverySeconds.Set(stats.RecoveryTime.TotalSeconds);
        WritesRefused.Set(stats.WriteFault is null ? 0 : 1);
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

using System.Diagnostics;
using Prometheus;

namespace HierTcn.StateStore.Monitoring;

/// <summary>The state store's Prometheus metrics (all prefixed hiertcn_statestore_), defined once for every host of the
/// engine, so that a shard and an inference pod with the embedded store export the same names and labels: operations
/// by method and outcome, their latency, log and disk sizes, checkpoint age, recovery time, whether writes are refused,
/// damaged records, write-ahead log entries lost at the last recovery, and whether the store refuses to serve. The
/// engine's figures are read from <see cref="StateStoreEngine.GetStats"/> when the registry is collected.</summary>
/// <remarks>Thread-safe. Collectors of one name are shared within a registry; each instance reads the engine it is
/// attached to, so a process should attach one engine per registry (the shard server gives each server its own).
/// </remarks>
public sealed class StateStoreMetrics
{
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
    private volatile StateStoreEngine? _engine;

    /// <summary>Creates (or takes, when another instance created them) the collectors in <paramref name="registry"/> and
    /// refreshes the engine's figures before each collection.</summary>
    public StateStoreMetrics(CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var factory = Metrics.WithCustomRegistry(registry);
        _operations = factory.CreateCounter(
            "hiertcn_statestore_operations_total", "State store operations by method and outcome.",
            new CounterConfiguration { LabelNames = ["method", "status"] });
        _latency = factory.CreateHistogram(
            "hiertcn_statestore_operation_duration_seconds", "State store operation latency by method (per item for Apply).",
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
        _refusing = factory.CreateGauge("hiertcn_statestore_refusing_to_serve", "1 when the store refuses to serve because its files are damaged (the log says why and how to repair), else 0.");
        registry.AddBeforeCollectCallback(Refresh);
    }

    /// <summary>Reports <paramref name="engine"/>'s figures from now on.</summary>
    public void Attach(StateStoreEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        Refresh();
    }

    /// <summary>Stops reading the engine (call before disposing it); the gauges keep their last values.</summary>
    public void Detach() => _engine = null;

    /// <summary>Counts an operation of <paramref name="method"/> (Get, BatchGet, Put, BatchPut, CompareAndSwap, Delete,
    /// Apply) that ended with <paramref name="status"/>, begun at <paramref name="startTimestamp"/>
    /// (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public void Observe(string method, StoreStatus status, long startTimestamp)
    {
        _operations.WithLabels(method, StatusLabel(status)).Inc();
        _latency.WithLabels(method).Observe(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
    }

    /// <summary>Counts a call rejected before it reached the store: <paramref name="status"/> "invalid_argument"
    /// (malformed request) or "wrong_shard" (a key of another shard).</summary>
    public void Rejected(string method, string status) => _operations.WithLabels(method, status).Inc();

    /// <summary>Sets the refusing-to-serve gauge (damaged files; see the log for the reason and repair).</summary>
    public void SetRefusing(bool refusing) => _refusing.Set(refusing ? 1 : 0);

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

    /// <summary>The status label of an outcome: ok, not_found, version_mismatch, writes_refused, invalid_argument,
    /// damaged or unavailable.</summary>
    public static string StatusLabel(StoreStatus status) => status switch
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

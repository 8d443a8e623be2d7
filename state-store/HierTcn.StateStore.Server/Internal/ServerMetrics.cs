using HierTcn.Security.Server;
using HierTcn.StateStore.Monitoring;
using Prometheus;

namespace HierTcn.StateStore.Server.Internal;

/// <summary>The Prometheus metrics of a shard: the store's own (<see cref="StateStoreMetrics"/>, which the inference
/// server's embedded store exports too) and calls refused by authorization or a rate limit.</summary>
/// <remarks>Each server has its own registry (exported by its metrics endpoint), so two servers in one process
/// (tests) do not mix their gauges.</remarks>
internal sealed class ServerMetrics : ISecurityMetrics
{
    private readonly StateStoreMetrics _store;
    private readonly Counter _refused;
    private readonly Counter _rateLimited;

    public ServerMetrics(CollectorRegistry registry)
    {
        _store = new StateStoreMetrics(registry);
        var factory = Metrics.WithCustomRegistry(registry);
        _refused = factory.CreateCounter(
            "hiertcn_statestore_refused_calls_total", "Calls refused before they ran, by gRPC method and code (Unauthenticated, PermissionDenied).",
            new CounterConfiguration { LabelNames = ["method", "code"] });
        _rateLimited = factory.CreateCounter(
            "hiertcn_statestore_rate_limited_total", "Calls refused by a rate limit (RESOURCE_EXHAUSTED), by gRPC method and limit.",
            new CounterConfiguration { LabelNames = ["method", "limit"] });
    }

    public void Attach(StateStoreEngine engine) => _store.Attach(engine);

    /// <summary>Counts a call rejected before it reached the store: <paramref name="status"/> "invalid_argument"
    /// (malformed request) or "wrong_shard" (a key of another shard).</summary>
    public void Rejected(string method, string status) => _store.Rejected(method, status);

    /// <summary>Sets the refusing-to-serve gauge (damaged files; see the log for the reason and repair).</summary>
    public void SetRefusing(bool refusing) => _store.SetRefusing(refusing);

    public void Refused(string method, string code) => _refused.WithLabels(method, code).Inc();

    public void RateLimited(string method, string limit) => _rateLimited.WithLabels(method, limit).Inc();

    /// <summary>Counts a call rejected before it reached the store (malformed request, invalid argument).</summary>
    public void Rejected(string method) => Rejected(method, "invalid_argument");

    /// <summary>Counts a call of gRPC method <paramref name="method"/> that ended with <paramref name="status"/>.</summary>
    public void Observe(string method, StoreStatus status, long startTimestamp) => _store.Observe(method, status, startTimestamp);
}

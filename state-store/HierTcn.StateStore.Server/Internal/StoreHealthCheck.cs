using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HierTcn.StateStore.Server.Internal;

/// <summary>Healthy when the engine is open and accepts writes. Unhealthy (gRPC health NOT_SERVING) while recovering,
/// when the store refuses to serve (damaged files) and when it refuses writes (WAL fault, disk full, quota): a shard
/// that cannot take writes is not serving its users, whatever it still reads.</summary>
internal sealed class StoreHealthCheck(EngineHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (host.Refusal is { } refusal)
            return Task.FromResult(HealthCheckResult.Unhealthy("refusing to serve: " + refusal.Message));
        if (host.EngineIfReady is not { } engine)
            return Task.FromResult(HealthCheckResult.Unhealthy("recovering"));
        var fault = engine.GetStats().WriteFault;
        return Task.FromResult(fault is null ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("writes refused: " + fault));
    }
}

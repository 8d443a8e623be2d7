using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HierTcn.StateStore.Server.Internal;

/// <summary>Healthy when the engine is open and accepts writes; degraded (still serving reads) when it refuses
/// writes; unhealthy while recovering.</summary>
internal sealed class StoreHealthCheck(EngineHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (host.EngineIfReady is not { } engine)
            return Task.FromResult(HealthCheckResult.Unhealthy("recovering"));
        var fault = engine.GetStats().WriteFault;
        return Task.FromResult(fault is null ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded("writes refused: " + fault));
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HierTcn.StateStore.Server.Internal;

/// <summary>Healthy when the engine is open and accepts writes. Unhealthy (gRPC health NOT_SERVING) while recovering,
/// when the shard refuses to serve (damaged files) and when the WAL refuses writes (an I/O error, until restart): a
/// shard that cannot take writes is not serving its users, and a restart is what clears it. Degraded (still SERVING)
/// while a disk quota refuses writes, which clears by itself.</summary>
internal sealed class StoreHealthCheck(EngineHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (host.Refusal is { } refusal)
            return Task.FromResult(HealthCheckResult.Unhealthy("refusing to serve: " + refusal.Message));
        if (host.EngineIfReady is not { } engine)
            return Task.FromResult(HealthCheckResult.Unhealthy("recovering"));
        var stats = engine.GetStats();
        if (stats.WalFault is { } walFault)
            return Task.FromResult(HealthCheckResult.Unhealthy("writes refused: " + walFault));
        return Task.FromResult(stats.WriteFault is { } fault ? HealthCheckResult.Degraded("writes refused: " + fault) : HealthCheckResult.Healthy());
    }
}

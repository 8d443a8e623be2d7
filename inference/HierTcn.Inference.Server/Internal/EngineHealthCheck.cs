using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HierTcn.Inference.Server.Internal;

/// <summary>Healthy once every configured model version is loaded and the state store is open. With the embedded store,
/// as a shard: unhealthy (gRPC health NOT_SERVING) when it refuses to serve (damaged files) and when its write-ahead
/// log refuses writes (an I/O error, until restart), since events can no longer be applied; degraded (still SERVING)
/// while a disk quota refuses writes, which clears by itself.</summary>
internal sealed class EngineHealthCheck(EngineHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (host.StoreRefusal is { } refusal)
            return Task.FromResult(HealthCheckResult.Unhealthy("state store refusing to serve: " + refusal));
        if (!host.IsReady || host.Engine.Versions.Count == 0)
            return Task.FromResult(HealthCheckResult.Unhealthy("starting"));
        if (host.EmbeddedEngine?.GetStats() is { } stats)
        {
            if (stats.WalFault is { } walFault)
                return Task.FromResult(HealthCheckResult.Unhealthy("state store writes refused: " + walFault));
            if (stats.WriteFault is { } fault)
                return Task.FromResult(HealthCheckResult.Degraded("state store writes refused: " + fault));
        }
        return Task.FromResult(HealthCheckResult.Healthy("serving " + string.Join(", ", host.Engine.Versions)));
    }
}

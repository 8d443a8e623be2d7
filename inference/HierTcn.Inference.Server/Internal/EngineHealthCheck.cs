using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HierTcn.Inference.Server.Internal;

/// <summary>Healthy once every configured model version is loaded and the state store is open.</summary>
internal sealed class EngineHealthCheck(EngineHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(host.IsReady && host.Engine.Versions.Count > 0
            ? HealthCheckResult.Healthy("serving " + string.Join(", ", host.Engine.Versions))
            : HealthCheckResult.Unhealthy("starting"));
}

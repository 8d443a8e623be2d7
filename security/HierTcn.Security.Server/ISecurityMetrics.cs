namespace HierTcn.Security.Server;

/// <summary>Where refused calls are counted; each server implements it with its Prometheus registry. Called
/// concurrently; must be thread-safe and cheap.</summary>
public interface ISecurityMetrics
{
    /// <summary>A call to <paramref name="method"/> was refused before it ran with <paramref name="code"/>
    /// (Unauthenticated, PermissionDenied).</summary>
    void Refused(string method, string code);

    /// <summary>A call to <paramref name="method"/> was refused by the rate limit <paramref name="limit"/>
    /// (requests, client_events, user_events).</summary>
    void RateLimited(string method, string limit);
}

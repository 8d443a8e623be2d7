namespace HierTcn.Security.Server;

/// <summary>Per-client request rate limit of a gRPC server (section "RateLimits"): a token bucket per caller (its
/// token or client certificate name when authorized, else its IP address). A call over the limit is refused with
/// RESOURCE_EXHAUSTED before it runs, and counted. Health calls are not limited.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "RateLimits";

    /// <summary>Calls a second one caller may make, sustained. Default 0: no limit.</summary>
    public int RequestsPerSecond { get; set; }

    /// <summary>Calls one caller may make at once above the sustained rate (the bucket's size). Default 0: equal
    /// to <see cref="RequestsPerSecond"/>.</summary>
    public int Burst { get; set; }

    /// <summary>Returns every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (RequestsPerSecond < 0)
            errors.Add($"{Section}:RequestsPerSecond is {RequestsPerSecond}; 0 (no limit) or more");
        if (Burst < 0)
            errors.Add($"{Section}:Burst is {Burst}; 0 (same as RequestsPerSecond) or more");
        return errors;
    }
}

namespace HierTcn.Inference.Server.Internal;

/// <summary>The server's structured log events (stable ids 2xx).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(200, LogLevel.Information, "Recommender ready: versions {Versions}, state store {StoreMode}, metrics on port {MetricsPort}")]
    public static partial void Ready(ILogger logger, string versions, string storeMode, int metricsPort);

    [LoggerMessage(201, LogLevel.Warning, "{Method} for user {UserId} failed with {Code}: {Error}")]
    public static partial void CallFailed(ILogger logger, string method, long userId, string code, string? error);

    [LoggerMessage(202, LogLevel.Information, "Configuration changed: applying model arms {Arms}")]
    public static partial void ArmsChanging(ILogger logger, string arms);

    [LoggerMessage(203, LogLevel.Error, "Configuration change not applied, the served versions stay as they were: {Reason}")]
    public static partial void ArmsRejected(ILogger logger, string reason);

    /// <summary><paramref name="source"/>: "file PATH" or "ConfigMap NAMESPACE/NAME key KEY (resourceVersion N)".</summary>
    [LoggerMessage(204, LogLevel.Information, "Experiment {Source} applied: arms {Arms}, salt {Salt}")]
    public static partial void ExperimentApplied(ILogger logger, string source, string arms, string salt);

    [LoggerMessage(205, LogLevel.Error, "Experiment {Source} refused, the configuration in use keeps serving: {Reason}")]
    public static partial void ExperimentRefused(ILogger logger, string source, string reason);

    [LoggerMessage(207, LogLevel.Information, "Experiment ConfigMap {ConfigMap} followed through the Kubernetes API at {Api}; the file is the fallback")]
    public static partial void ExperimentWatchStarted(ILogger logger, string configMap, string api);

    [LoggerMessage(208, LogLevel.Information, "Experiment ConfigMap {ConfigMap} not followed through the Kubernetes API, the file alone is followed: {Reason}")]
    public static partial void ExperimentWatchOff(ILogger logger, string configMap, string reason);

    [LoggerMessage(209, LogLevel.Warning, "Experiment ConfigMap watch interrupted, the file is followed meanwhile; retrying in {Delay}: {Reason}")]
    public static partial void ExperimentWatchInterrupted(ILogger logger, TimeSpan delay, string reason);

    [LoggerMessage(210, LogLevel.Warning, "Experiment ConfigMap {ConfigMap} {What}; the configuration in use keeps serving and the file is followed")]
    public static partial void ExperimentConfigMapMissing(ILogger logger, string configMap, string what);

    [LoggerMessage(206, LogLevel.Debug, "{Method} refused with InvalidArgument: {Reason}")]
    public static partial void MalformedRequest(ILogger logger, string method, string reason);

    [LoggerMessage(211, LogLevel.Critical, "The embedded state store refuses to serve: {Reason}")]
    public static partial void StateStoreRefusing(ILogger logger, string reason);
}

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

    [LoggerMessage(204, LogLevel.Information, "Experiment file {Path} applied: arms {Arms}, salt {Salt}")]
    public static partial void ExperimentApplied(ILogger logger, string path, string arms, string salt);

    [LoggerMessage(205, LogLevel.Error, "Experiment file {Path} refused, the configuration in use keeps serving: {Reason}")]
    public static partial void ExperimentRefused(ILogger logger, string path, string reason);

    [LoggerMessage(206, LogLevel.Debug, "{Method} refused with InvalidArgument: {Reason}")]
    public static partial void MalformedRequest(ILogger logger, string method, string reason);
}

namespace HierTcn.StateStore.Server.Internal;

/// <summary>The server's log messages; event ids are stable.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(101, LogLevel.Warning, "{Method} rejected: {Reason}")]
    public static partial void Rejected(ILogger logger, string method, string reason);

    [LoggerMessage(103, LogLevel.Critical, "The state store refuses to serve: {Reason}")]
    public static partial void RefusingToServe(ILogger logger, string reason);

    [LoggerMessage(104, LogLevel.Information, "This is shard {Index} of {Count}; keys of other shards are refused")]
    public static partial void ShardPosition(ILogger logger, int index, int count);

    [LoggerMessage(102, LogLevel.Information, "Apply stream ended after {Count} writes")]
    public static partial void ApplyEnded(ILogger logger, long count);
}

using Microsoft.Extensions.Logging;

namespace HierTcn.Security.Internal;

/// <summary>Log events of the reloaded security material (stable ids 6xx).</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(600, LogLevel.Information, "Reloaded {Files}")]
    public static partial void Reloaded(ILogger logger, string files);

    [LoggerMessage(601, LogLevel.Warning, "Reload of {Files} failed, the previous contents stay in use: {Error}")]
    public static partial void ReloadFailed(ILogger logger, string files, string error);
}

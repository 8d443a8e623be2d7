using Microsoft.Extensions.Logging;

namespace HierTcn.Inference.Internal;

/// <summary>The engine's structured log events (stable ids 1xx).</summary>
internal static partial class EngineLog
{
    [LoggerMessage(100, LogLevel.Information, "Model {ModelVersion} ({ModelType}, d={ItemDim}, L={Layers}, H={Hidden}, receptive field {ReceptiveField}) loaded from {Directory} on {Provider}; snapshot {SnapshotVersion} ({Items} items)")]
    public static partial void ModelLoaded(ILogger logger, string modelVersion, string modelType, int itemDim, int layers, int hidden,
        string receptiveField, string directory, string provider, string snapshotVersion, int items);

    [LoggerMessage(109, LogLevel.Information, "Model {ModelVersion} warmed up: {Batches} made-up batches in {Milliseconds:F0} ms")]
    public static partial void WarmedUp(ILogger logger, string modelVersion, int batches, double milliseconds);

    [LoggerMessage(101, LogLevel.Warning, "Model {ModelVersion}: the CUDA execution provider could not be used ({Reason}); running on CPUExecutionProvider")]
    public static partial void CudaFallback(ILogger logger, string modelVersion, string reason);

    [LoggerMessage(102, LogLevel.Information, "Model {ModelVersion} retired; released when its {InFlight} in-flight request(s) drain")]
    public static partial void ModelRetired(ILogger logger, string modelVersion, string inFlight);

    [LoggerMessage(103, LogLevel.Information, "Model {ModelVersion} now scores against snapshot {SnapshotVersion} ({Items} items); {OldVersion} released when drained")]
    public static partial void SnapshotSwapped(ILogger logger, string modelVersion, string snapshotVersion, int items, string oldVersion);

    [LoggerMessage(104, LogLevel.Error, "Snapshot refresh for model {ModelVersion} failed; keeping {SnapshotVersion}: {Reason}")]
    public static partial void SnapshotRefreshFailed(ILogger logger, string modelVersion, string snapshotVersion, string reason);

    [LoggerMessage(105, LogLevel.Information, "A/B arms: {Arms} (salt {Salt})")]
    public static partial void ArmsApplied(ILogger logger, string arms, string salt);

    [LoggerMessage(106, LogLevel.Warning, "State store {Operation} for user {UserId} under {ModelVersion} failed: {Status} {Error}")]
    public static partial void StoreFailed(ILogger logger, string operation, long userId, string modelVersion, string status, string? error);

    [LoggerMessage(107, LogLevel.Error, "Model {ModelVersion} produced a non-finite user embedding for user {UserId}")]
    public static partial void NonFiniteEmbedding(ILogger logger, string modelVersion, long userId);

    [LoggerMessage(108, LogLevel.Information, "Backfill into {Target} from {Source}: {Users} user(s) read, {Copied} copied, {Missing} without a source state")]
    public static partial void Backfilled(ILogger logger, string target, string source, int users, int copied, int missing);

    [LoggerMessage(110, LogLevel.Warning, "Model {ModelVersion} adds a recent-popularity prior (w {Weight}, {WindowMinutes} minutes of clicks): this pod counts the events it applies and the clicks sent to its CountClicks, so serve it from one replica or send every click to every replica's CountClicks: a pod that sees a share of the clicks ranks with smaller counts than the model was trained with")]
    public static partial void PriorCountsThisPodOnly(ILogger logger, string modelVersion, float weight, double windowMinutes);
}

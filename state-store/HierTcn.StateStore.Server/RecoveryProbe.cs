namespace HierTcn.StateStore.Server;

/// <summary>Runs <c>probe</c> (<see cref="Extensions.ProbeCommand"/>) in a child process (<c>dotnet
/// HierTcn.StateStore.Server.dll probe ...</c>, this assembly, the engine's settings), so that a checkpoint whose store
/// log would crash FASTER's recovery crashes the child instead of the host (<see cref="CheckpointProbe"/>). Pass
/// <see cref="ProbeAsync"/> to
/// <see cref="StateStoreEngine.OpenAsync(StateStoreOptions, Microsoft.Extensions.Logging.ILoggerFactory?, TimeProvider?, Func{Guid, CancellationToken, Task{string?}}?, CancellationToken)"/>.
/// Costs one process start plus one recovery and store-log read per checkpoint tried.</summary>
public sealed class RecoveryProbe(StateStoreOptions options)
{
    private readonly CheckpointProbe _probe = new(options, typeof(RecoveryProbe).Assembly.Location, "probe");

    /// <summary>Null when checkpoint <paramref name="token"/> recovered and read cleanly in the child; otherwise why
    /// not (exit code and the end of its output).</summary>
    public Task<string?> ProbeAsync(Guid token, CancellationToken cancellationToken) => _probe.ProbeAsync(token, cancellationToken);
}

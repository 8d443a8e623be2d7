using Microsoft.Extensions.Options;

namespace HierTcn.StateStore.Server.Internal;

/// <summary>Opens the engine (recovery) when the host starts and disposes it (final checkpoint) when it stops.
/// Calls arriving before recovery ends wait for it. Each checkpoint is first recovered by a child process
/// (<see cref="RecoveryProbe"/>), so damage that would crash FASTER crashes the child. When the files are damaged
/// beyond what recovery bridges without loss, the process stays up refusing every call (UNAVAILABLE with the reason),
/// health NOT_SERVING and <c>hiertcn_statestore_refusing_to_serve</c> 1, instead of crash-looping.</summary>
internal sealed class EngineHost(IOptions<StateStoreOptions> options, IOptions<StateStoreServerOptions> serverOptions, ILoggerFactory loggerFactory,
    ServerMetrics metrics, ILogger<EngineHost> logger) : IHostedService
{
    private readonly TaskCompletionSource<StateStoreEngine> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the engine is open; faults with <see cref="StateStoreDamagedException"/> when the
    /// shard refuses to serve.</summary>
    public Task<StateStoreEngine> Engine => _ready.Task;

    /// <summary>Why the shard refuses to serve; null otherwise.</summary>
    public StateStoreDamagedException? Refusal { get; private set; }

    /// <summary>The engine when open; null while recovering or refusing.</summary>
    public StateStoreEngine? EngineIfReady => _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var probe = new RecoveryProbe(options.Value);
            var engine = await StateStoreEngine.OpenAsync(options.Value, loggerFactory, null, probe.ProbeAsync, cancellationToken).ConfigureAwait(false);
            metrics.Attach(engine);
            ServerLog.ShardPosition(logger, serverOptions.Value.EffectiveShardIndex, serverOptions.Value.ShardCount);
            _ready.TrySetResult(engine);
        }
        catch (StateStoreDamagedException ex)
        {
            Refusal = ex;
            metrics.SetRefusing(true);
            ServerLog.RefusingToServe(logger, ex.Message);
            _ready.TrySetException(ex);
            _ = _ready.Task.Exception;
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (EngineIfReady is { } engine)
            await engine.DisposeAsync().ConfigureAwait(false);
    }
}

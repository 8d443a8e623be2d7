using Microsoft.Extensions.Options;

namespace HierTcn.StateStore.Server.Internal;

/// <summary>Opens the engine (recovery) when the host starts and disposes it (final checkpoint) when it stops.
/// Calls arriving before recovery ends wait for it.</summary>
internal sealed class EngineHost(IOptions<StateStoreOptions> options, ILoggerFactory loggerFactory, ServerMetrics metrics) : IHostedService
{
    private readonly TaskCompletionSource<StateStoreEngine> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the engine is open.</summary>
    public Task<StateStoreEngine> Engine => _ready.Task;

    /// <summary>The engine when open; null while recovering.</summary>
    public StateStoreEngine? EngineIfReady => _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var engine = await StateStoreEngine.OpenAsync(options.Value, loggerFactory, null, cancellationToken).ConfigureAwait(false);
            metrics.Attach(engine);
            _ready.TrySetResult(engine);
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

using HierTcn.Inference.Server.Extensions;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Monitoring;
using Microsoft.Extensions.Options;

namespace HierTcn.Inference.Server.Internal;

/// <summary>Opens the state store and starts the engine (every model version loaded and checked) before the server
/// accepts calls; applies changed model arms from configuration (hot swap); disposes both on shutdown. An
/// <see cref="IStateStore"/> registered in the container is used instead of the configured one and left to the
/// container to dispose. The embedded store is counted in the state store's own metrics (<see cref="StateStoreMetrics"/>),
/// as a shard is, and is damage-checked on open as a shard is: each checkpoint recovered by a child process first, and
/// files damaged beyond what recovery bridges without loss leave the server up but refusing (<see cref="StoreRefusal"/>,
/// health NOT_SERVING, <c>hiertcn_statestore_refusing_to_serve</c> 1) instead of crash-looping.</summary>
internal sealed class EngineHost(IOptionsMonitor<RecommenderOptions> recommender, IOptions<RecommenderServerOptions> server,
    IServiceProvider services, ILoggerFactory loggerFactory, PrometheusMetrics metrics, ILogger<EngineHost> log) : IHostedService
{
    private IStateStore? _store;
    private bool _ownsStore;
    private StateStoreMetrics? _storeMetrics;
    private volatile StateStoreEngine? _embedded;
    private IDisposable? _watch;
    private string _arms = "";

    /// <summary>The engine once started.</summary>
    public RecommenderEngine Engine { get; private set; } = null!;

    public bool IsReady => Engine is not null;

    /// <summary>Why the embedded store refuses to serve (what is damaged, and the repair command); null otherwise.</summary>
    public string? StoreRefusal { get; private set; }

    /// <summary>The embedded store's engine when it is open; null in the other modes.</summary>
    public StateStoreEngine? EmbeddedEngine => _embedded;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = recommender.CurrentValue;
        _ownsStore = services.GetService<IStateStore>() is null;
        if (!_ownsStore)
        {
            _store = services.GetRequiredService<IStateStore>();
        }
        else if (server.Value.StateStoreMode == "Remote")
        {
            _store = new RemoteStateStore(services.GetRequiredService<IOptions<RemoteStateStoreOptions>>().Value);
        }
        else if (server.Value.StateStoreMode == "Resp")
        {
            // Opens even while the cluster is down or still forming: calls answer Unavailable until it serves.
            _store = await RespStateStore.ConnectAsync(services.GetRequiredService<IOptions<RespStateStoreOptions>>().Value, loggerFactory,
                cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // Each checkpoint is recovered by a child process first (Program.cs answers its verb), so a damaged
            // store log ends the child, not the service.
            var storeOptions = services.GetRequiredService<IOptions<StateStoreOptions>>().Value;
            _storeMetrics = services.GetRequiredService<StateStoreMetrics>();
            IStateStore embedded;
            try
            {
                var opened = await EmbeddedStateStore.OpenAsync(storeOptions, loggerFactory, ProbeFor(storeOptions), cancellationToken).ConfigureAwait(false);
                _storeMetrics.Attach(opened.Engine);
                _embedded = opened.Engine;
                embedded = opened;
            }
            catch (StateStoreDamagedException ex)
            {
                StoreRefusal = $"{ex.Reason}. Repair: {RepairStateStoreCommand.Describe(storeOptions.DataDirectory)}";
                _storeMetrics.SetRefusing(true);
                ServerLog.StateStoreRefusing(log, StoreRefusal);
                embedded = new RefusingStateStore(StoreRefusal);
            }
            _store = new MeteredStateStore(embedded, _storeMetrics);
        }
        Engine = RecommenderEngine.Start(options, _store, metrics, loggerFactory);
        _arms = Describe(options.Models);
        if (server.Value.ExperimentFile.Length == 0)
        {
            // With an experiment file the arms follow the file (ExperimentFileWatcher), not configuration reloads.
            _watch = recommender.OnChange(o => _ = ApplyArmsAsync(o));
        }
        ServerLog.Ready(log, string.Join(", ", Engine.Versions.Select(v => $"{v} ({Engine.ProviderOf(v)})")), server.Value.StateStoreMode,
            server.Value.MetricsPort);
    }

    private async Task ApplyArmsAsync(RecommenderOptions options)
    {
        string arms = Describe(options.Models);
        if (arms == _arms)
        {
            return;
        }
        ServerLog.ArmsChanging(log, arms);
        try
        {
            await Engine.ApplyArmsAsync([.. options.Models]).ConfigureAwait(false);
            _arms = arms;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
        {
            ServerLog.ArmsRejected(log, e.Message);
        }
    }

    /// <summary>The recovery probe of the embedded store: this server's own assembly with
    /// <see cref="CheckpointProbe.Verb"/> (also when a test hosts the server in-process).</summary>
    private static Func<Guid, CancellationToken, Task<string?>> ProbeFor(StateStoreOptions options)
        => new CheckpointProbe(options, typeof(EngineHost).Assembly.Location).ProbeAsync;

    private static string Describe(IEnumerable<ModelArmOptions> arms) =>
        string.Join(", ", arms.Select(a => $"{a.Version}={a.Weight}@{a.SnapshotsDirectory}"));

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _watch?.Dispose();
        if (Engine is not null)
            await Engine.DisposeAsync().ConfigureAwait(false);
        _storeMetrics?.Detach();
        _storeMetrics?.SetRefusing(false);
        // Health checks stop reading the engine before it is disposed.
        _embedded = null;
        if (_store is not null && _ownsStore)
            await _store.DisposeAsync().ConfigureAwait(false);
    }
}

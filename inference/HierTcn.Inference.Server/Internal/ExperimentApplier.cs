namespace HierTcn.Inference.Server.Internal;

/// <summary>
/// The one place an experiment text (the JSON of <see cref="ExperimentFile"/>) becomes the engine's arms, whichever
/// source brought it: the mounted file (<see cref="ExperimentFileWatcher"/>) or the ConfigMap watched through the
/// Kubernetes API (<see cref="ExperimentConfigMapWatcher"/>). Text already applied or already refused is not applied
/// again; a bad text is refused with log event 205 and <c>hiertcn_inference_experiment_file_rejections_total</c>
/// while the arms in use keep serving. Applications are serialised. While the API watch is live it is the only
/// source: the file lags it by the kubelet's sync and would put older arms back.
/// </summary>
internal sealed class ExperimentApplier(EngineHost host, ILogger<ExperimentApplier> log)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _applied;
    private string? _refused;
    private volatile bool _apiLive;

    /// <summary>Whether the API watch holds the ConfigMap now (listed, and watching or reconnecting at once).</summary>
    public bool ApiLive => _apiLive;

    /// <summary>Marks the API watch as lost (the file becomes the source again) or, with no text to apply, as
    /// holding a ConfigMap whose content was applied or refused already.</summary>
    public void SetApiLive(bool live)
    {
        _apiLive = live;
        PrometheusMetrics.ExperimentApiWatchUp(live);
    }

    /// <summary>Applies <paramref name="text"/> from the mounted file, unless the API watch is live.</summary>
    public Task ApplyFromFileAsync(string path, string text, CancellationToken cancellationToken) =>
        ApplyAsync("file " + path, text, fromApi: false, cancellationToken);

    /// <summary>Applies <paramref name="text"/> from the ConfigMap and marks the API watch live.</summary>
    public Task ApplyFromApiAsync(string source, string text, CancellationToken cancellationToken) =>
        ApplyAsync(source, text, fromApi: true, cancellationToken);

    /// <summary>Refuses what a source brought without a text to parse (an unreadable file, a ConfigMap without the
    /// key); from the file only while the API watch is not live.</summary>
    public async Task RefuseAsync(string source, string reason, string seen, bool fromApi, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (fromApi)
                SetApiLive(true);
            else if (_apiLive)
                return;
            Refuse(source, reason, seen);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ApplyAsync(string source, string text, bool fromApi, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (fromApi)
                SetApiLive(true);
            else if (_apiLive)
                return;
            if (text == _applied || text == _refused)
                return;
            var experiment = ExperimentFile.Parse(text, out string? error);
            if (experiment is null)
            {
                Refuse(source, error!, text);
                return;
            }
            try
            {
                await host.Engine.ApplyExperimentAsync(experiment.Salt, experiment.Models, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Refuse(source, e.Message, text);
                return;
            }
            _applied = text;
            _refused = null;
            ServerLog.ExperimentApplied(log, source, string.Join(", ", experiment.Models.Select(m => $"{m.Version}={m.Weight}")), experiment.Salt);
            PrometheusMetrics.ExperimentApplied(experiment.Salt, DateTimeOffset.UtcNow);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Refuse(string source, string reason, string seen)
    {
        if (seen == _refused)
            return;
        _refused = seen;
        ServerLog.ExperimentRefused(log, source, reason);
        PrometheusMetrics.ExperimentRefused();
    }
}

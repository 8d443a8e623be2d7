using Microsoft.Extensions.Options;

namespace HierTcn.Inference.Server.Internal;

/// <summary>
/// Follows the experiment file after start: every <see cref="RecommenderServerOptions.ExperimentFilePollInterval"/>
/// the file is read (polling, since a Kubernetes ConfigMap volume changes by swapping a symlink, which file-system
/// events miss); content that changed since the previous read goes to <see cref="ExperimentApplier"/>, which applies
/// it or refuses it (log line and metric) while the configuration in use keeps serving. With the ConfigMap watched
/// through the Kubernetes API (<see cref="ExperimentConfigMapWatcher"/>) the file is the fallback: the applier ignores
/// it while that watch is live, and only a file that changes afterwards is applied, so the file's lag behind the API
/// never puts older arms back.
/// </summary>
internal sealed class ExperimentFileWatcher(EngineHost host, ExperimentApplier applier, IOptions<RecommenderServerOptions> server)
    : BackgroundService
{
    private string? _seen;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string path = server.Value.ExperimentFile;
        if (path.Length == 0 || !host.IsReady)
            return;
        // The first check applies the file as it is now (the same arms as at start, unless it changed since).
        await CheckAsync(path, stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(server.Value.ExperimentFilePollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                await CheckAsync(path, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Reads the file once and hands it on if it changed since the previous read (the poll's step).</summary>
    internal async Task CheckAsync(string path, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _seen = null;
            await applier.RefuseAsync("file " + path, $"cannot read it: {e.Message}", e.Message, fromApi: false, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (text == _seen)
            return;
        _seen = text;
        await applier.ApplyFromFileAsync(path, text, cancellationToken).ConfigureAwait(false);
    }
}

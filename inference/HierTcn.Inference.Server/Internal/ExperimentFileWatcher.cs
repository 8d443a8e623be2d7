using Microsoft.Extensions.Options;

namespace HierTcn.Inference.Server.Internal;

/// <summary>
/// Follows the experiment file after start: every <see cref="RecommenderServerOptions.ExperimentFilePollInterval"/>
/// the file is read (polling, since a Kubernetes ConfigMap volume changes by swapping a symlink, which file-system
/// events miss); new content is parsed, checked and applied with <see cref="RecommenderEngine.ApplyExperimentAsync"/>.
/// A file that cannot be read, parsed or loaded is refused with a log line and
/// <c>hiertcn_inference_experiment_file_rejections_total</c>, and the configuration in use keeps serving.
/// </summary>
internal sealed class ExperimentFileWatcher(EngineHost host, IOptions<RecommenderServerOptions> server, ILogger<ExperimentFileWatcher> log)
    : BackgroundService
{
    private string? _applied;
    private string? _refused;

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

    /// <summary>Reads the file once and applies it if it changed (the poll's step).</summary>
    internal async Task CheckAsync(string path, CancellationToken cancellationToken)
    {
        string? text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Refuse(path, $"cannot read it: {e.Message}", e.Message);
            return;
        }
        if (text == _applied || text == _refused)
            return;
        var experiment = ExperimentFile.Parse(text, out string? error);
        if (experiment is null)
        {
            Refuse(path, error!, text);
            return;
        }
        try
        {
            await host.Engine.ApplyExperimentAsync(experiment.Salt, experiment.Models, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Refuse(path, e.Message, text);
            return;
        }
        _applied = text;
        _refused = null;
        ServerLog.ExperimentApplied(log, path, string.Join(", ", experiment.Models.Select(m => $"{m.Version}={m.Weight}")), experiment.Salt);
        PrometheusMetrics.ExperimentApplied(experiment.Salt, DateTimeOffset.UtcNow);
    }

    private void Refuse(string path, string reason, string seen)
    {
        if (seen == _refused)
            return;
        _refused = seen;
        ServerLog.ExperimentRefused(log, path, reason);
        PrometheusMetrics.ExperimentRefused();
    }
}

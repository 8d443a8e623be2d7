using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Training;
using TorchSharp;

namespace HierTcn.Exporter;

/// <summary>
/// A trained run (trainer/ <see cref="RunDirectory"/>) to serving artefacts: the item snapshot of its item vectors
/// (the learned embedding, or the projected feature vectors) and the model bundle that references it.
/// </summary>
public static class RunExport
{
    /// <summary>Publishes the run's item vectors as snapshot <paramref name="version"/> in
    /// <paramref name="snapshotDirectory"/> and returns its path.</summary>
    public static string PublishSnapshot(string runPath, string dataPath, string snapshotDirectory, string version)
    {
        using var data = PreparedDataset.Open(dataPath);
        var (model, _) = TrainedRun.Load(runPath, data);
        using (model)
        {
            return PublishSnapshot(model, data, snapshotDirectory, version);
        }
    }

    /// <summary>Exports the run: snapshot <c>VERSION</c> into <paramref name="snapshotDirectory"/> (default
    /// <c>BUNDLES_DIR/snapshots</c>) and the bundle <c>BUNDLES_DIR/VERSION</c>; returns the loaded bundle.</summary>
    public static ModelBundle Export(string runPath, string dataPath, string bundlesDirectory, string? snapshotDirectory = null, string? version = null)
    {
        using var data = PreparedDataset.Open(dataPath);
        var (model, config) = TrainedRun.Load(runPath, data);
        using (model)
        {
            string type = ModelKinds.Name(config.Training.Model.Kind);
            string modelVersion = version ?? $"{type}-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
            string snapshots = snapshotDirectory ?? Path.Combine(bundlesDirectory, "snapshots");
            string snapshotPath = PublishSnapshot(model, data, snapshots, modelVersion);
            return BundleExporter.Export(bundlesDirectory, type, TorchWeights.From(model), modelVersion,
                BundleExporter.Reference(snapshotPath), Summary(runPath, config), data.Header.SessionGapMs,
                itemFeatures: config.Training.Items == "features",
                recentPopWindowMs: model.Options.RecentPopPrior ? RecentPopularityModel.DefaultWindowMs : null);
        }
    }

    private static string PublishSnapshot(RecommenderModel model, PreparedDataset data, string snapshotDirectory, string version)
    {
        if (model.ItemBias() is not null)
        {
            // The served score is u . e_i (CONTRACT.md); publishing without the bias would serve other rankings.
            throw new Data.UserInputException(
                "the run was trained with --item-bias true; serving has no per-item bias yet, so it cannot be exported. Train without it to serve.");
        }
        using var scope = torch.NewDisposeScope();
        using var grad = torch.no_grad();
        var vectors = model.ItemVectors().detach().cpu().contiguous();
        return ItemSnapshotDirectory.Publish(snapshotDirectory, version, data.ItemIds, vectors.data<float>().ToArray(), (int)vectors.shape[1]);
    }

    private static TrainingSummary Summary(string runPath, RunConfig config)
    {
        var run = new RunDirectory(runPath);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string split in new[] { "validation", "test" })
        {
            string path = run.ReportPath(split);
            if (File.Exists(path))
            {
                var report = EvaluationReport.ReadJson(path);
                metrics[$"{split}_recall@10"] = report.Metrics.Event.Recall10;
                metrics[$"{split}_mrr"] = report.Metrics.Event.Mrr;
            }
        }
        return new TrainingSummary(run.Path, config.DatasetName, run.ReadEpochs().Count, metrics);
    }
}

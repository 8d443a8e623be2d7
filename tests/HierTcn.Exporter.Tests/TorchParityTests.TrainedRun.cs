using HierTcn.Data.Dataset;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Training;
using Xunit.Abstractions;

namespace HierTcn.Exporter.Tests;

/// <summary>A HierTCN trained briefly on the Globo slice, exported from its run directory as a bundle and snapshot,
/// then served from those files alone and compared with the reloaded TorchSharp model on real sessions.</summary>
public sealed partial class TorchParityTests
{
    /// <summary>Runs whose scores serving cannot reproduce are refused, naming the option, and leave no files: a per-item
    /// bias (serving scores u . e_i) and the recent-popularity prior (serving keeps no live counts of recent clicks).</summary>
    [Theory]
    [InlineData("--item-bias")]
    [InlineData("--recent-pop-prior")]
    public void Export_RunServingCannotScore_IsRefusedAndWritesNothing(string option)
    {
        using var dir = new TempDirectory();
        using var data = PreparedDataset.Open(GloboSlice.Directory);
        string run = dir.File("run");
        var model = new ModelOptions { Kind = ModelKind.HierTcn, ItemDim = 16, HighLayers = 1, HighHidden = 16, TcnChannels = 16, TcnBlocks = 2 };
        var options = new TrainingOptions
        {
            Model = option == "--item-bias" ? model with { ItemBias = true } : model with { RecentPopPrior = true },
            MaxEpochs = 1,
            MaxTrainUsers = 50,
            Threads = 1,
            SkipValidation = true,
        };
        new ModelTrainer(options).Run(data, run, finalEvaluation: false);

        var e = Assert.Throws<Data.UserInputException>(() => RunExport.Export(run, data.Directory, dir.File("bundles"), version: "refused"));
        Assert.Contains(option, e.Message);
        Assert.False(Directory.Exists(dir.File("bundles")) && Directory.EnumerateFileSystemEntries(dir.File("bundles"), "*", SearchOption.AllDirectories).Any(),
            "a refused export left files behind");
    }

    [Fact]
    public void Export_TrainedGloboRun_BundleServesTheTrainersOutputs()
    {
        using var dir = new TempDirectory();
        using var data = PreparedDataset.Open(GloboSlice.Directory);
        string run = dir.File("run");
        var options = new TrainingOptions
        {
            Model = new ModelOptions { Kind = ModelKind.HierTcn, ItemDim = 32, HighLayers = 2, HighHidden = 32, TcnChannels = 32 },
            MaxEpochs = 1,
            MaxTrainUsers = 300,
            Threads = 1,
            BatchSize = 16,
        };
        new ModelTrainer(options).Run(data, run);

        var bundle = RunExport.Export(run, data.Directory, dir.File("bundles"), version: "globo-hiertcn-1");
        var m = bundle.Manifest;
        Assert.Equal(ModelTypes.HierTcn, m.ModelType);
        Assert.Equal(data.Header.SessionGapMs, m.SessionGapMs);
        Assert.Equal(1, m.Training!.Epochs);
        Assert.Contains("test_recall@10", m.Training.Metrics.Keys);
        output.WriteLine($"bundle {m.ModelVersion}: test recall@10 {m.Training.Metrics["test_recall@10"]:F4}, receptive field {m.Dims.ReceptiveField}");

        // The snapshot holds the learned item embedding under the dataset's external ids.
        using var snapshot = bundle.OpenSnapshot(Path.Combine(dir.File("bundles"), "snapshots"));
        var (model, _) = TrainedRun.Load(run, data);
        using (model)
        {
            var weights = TorchWeights.From(model);
            Assert.Equal(weights["item_embedding.weight"].Data, snapshot.Matrix.ToArray());
            Assert.Equal(data.ItemIds.ToArray(), snapshot.ItemIds.ToArray());

            var graphs = m.Graphs.ToDictionary(g => g.Key, g => File.ReadAllBytes(bundle.GraphPath(g.Key)));
            Assert.Equal(weights["session_start"].Data, bundle.StartToken(BundleSignatures.SessionStart).ToArray());
            var sessions = GloboSlice.Sessions(data, 64, flat: false, out int t);
            CheckHierarchical(ModelTypes.HierTcn, (HierarchicalModel)model, graphs, new History(weights, 64, t, sessions));
        }
        // onnx's checker on graphs exported from a run directory: OnnxCheckerTests (skipped where onnx is missing).
    }
}

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
    /// <summary>A run whose scores serving cannot reproduce is refused, naming the option, and leaves no files: a per-item
    /// bias (serving scores u . e_i).</summary>
    [Fact]
    public void Export_ItemBiasRun_IsRefusedAndWritesNothing()
    {
        using var dir = new TempDirectory();
        using var data = PreparedDataset.Open(GloboSlice.Directory);
        string run = dir.File("run");
        TrainSmall(data, run, s_small with { ItemBias = true });

        var e = Assert.Throws<Data.UserInputException>(() => RunExport.Export(run, data.Directory, dir.File("bundles"), version: "refused"));
        Assert.Contains("--item-bias", e.Message);
        Assert.False(Directory.Exists(dir.File("bundles")) && Directory.EnumerateFileSystemEntries(dir.File("bundles"), "*", SearchOption.AllDirectories).Any(),
            "a refused export left files behind");
    }

    /// <summary>A run trained with <c>--recent-pop-prior</c> exports: the manifest carries the learned weight and the
    /// trainer's window, and the score graph adds the item_prior input to u . e_i before TopK (the served scores against
    /// the trainer's with live counts: RecentPopEndToEndTests in the inference tests).</summary>
    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    public void Export_RecentPopPriorRun_CarriesTheWeightAndTheScoreGraphAddsThePrior(ModelKind kind)
    {
        using var dir = new TempDirectory();
        using var data = PreparedDataset.Open(GloboSlice.Directory);
        string run = dir.File("run");
        TrainSmall(data, run, s_small with { Kind = kind, RecentPopPrior = true });

        var bundle = RunExport.Export(run, data.Directory, dir.File("bundles"), version: "prior");
        var m = bundle.Manifest;
        var (model, _) = TrainedRun.Load(run, data);
        using (model)
        {
            float w = TorchWeights.From(model)[StepGraphs.RecentPopWeight].Data[0];
            Assert.NotEqual(1f, w);                                      // learned: it starts at 1
            Assert.Equal(new RecentPopPriorSpec(w, Data.Baselines.RecentPopularityModel.DefaultWindowMs), m.RecentPopPrior);
            Assert.True(m.Dims.RecentPop);
            Assert.Contains(m.Graphs[GraphRoles.Score].Inputs, i => i.Name == BundleSignatures.Tensors.ItemPrior);
        }
        using var snapshot = bundle.OpenSnapshot(Path.Combine(dir.File("bundles"), "snapshots"));
        int n = snapshot.Count, d = m.Dims.ItemDim;
        var random = new Random(3);
        float[] user = Batch.Fill(random, 2 * d);
        float[] prior = [.. Enumerable.Range(0, n).Select(i => i % 5 == 0 ? (float)(random.NextDouble() * 3) : 0f)];
        using var ort = new Ort(File.ReadAllBytes(bundle.GraphPath(GraphRoles.Score)));
        var result = ort.RunMixed(("user_embedding", user, [2, d]), ("item_matrix", snapshot.Matrix.ToArray(), [n, d]), ("k", new long[] { n }, [1]),
            ("item_prior", prior, [1, n]));
        var scores = (float[])result["scores"];
        var indices = (long[])result["indices"];
        var items = snapshot.Matrix;
        float worst = 0;
        for (int b = 0; b < 2; b++)
        {
            for (int r = 0; r < n; r++)
            {
                int row = (int)indices[b * n + r];
                float want = System.Numerics.Tensors.TensorPrimitives.Dot(user.AsSpan(b * d, d), items.Slice(row * d, d)) + prior[row];
                worst = MathF.Max(worst, MathF.Abs(want - scores[b * n + r]));
            }
        }
        output.WriteLine($"{kind} with the prior: w = {m.RecentPopPrior!.Weight:F4}; score graph vs u . e + prior: max abs diff {worst:E3}");
        Assert.True(worst <= 1e-4f, $"max abs diff {worst}");
    }

    private static readonly ModelOptions s_small = new() { Kind = ModelKind.HierTcn, ItemDim = 16, HighLayers = 1, HighHidden = 16, TcnChannels = 16, TcnBlocks = 2 };

    private static void TrainSmall(PreparedDataset data, string run, ModelOptions model) =>
        new ModelTrainer(new TrainingOptions { Model = model, MaxEpochs = 1, MaxTrainUsers = 50, Threads = 1, SkipValidation = true })
            .Run(data, run, finalEvaluation: false);

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

using HierTcn.Data.Dataset;
using HierTcn.Data.Preparation;
using HierTcn.Formats.Bundles;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Training;
using Xunit.Abstractions;

namespace HierTcn.Exporter.Tests;

/// <summary>Every exported graph passes the onnx package's full checker and strict shape inference.</summary>
public sealed class OnnxCheckerTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    [OnnxCheckerFact]
    public void CheckModel_EveryExportedGraph_Accepted()
    {
        foreach (var type in ModelTypes.All)
        {
            var bundle = BundleExporter.Export(_dir.File("bundles"), type, RandomWeights.For(type, seed: 5), "v-" + type);
            foreach (var file in bundle.Manifest.Graphs.Values.Select(g => g.File).Distinct())
            {
                var (code, text) = OnnxChecker.Check(Path.Combine(bundle.Directory, file));
                output.WriteLine($"{type}/{file}: {text.Trim()}");
                Assert.True(code == 0, $"{type}/{file} rejected by onnx.checker: {text}");
            }
        }
    }

    [OnnxCheckerFact]
    public void CheckModel_ItemProjectionGraphs_Accepted()
    {
        // A feature model's weights: no learned embedding; with a projection [d, d_f] + bias, or without (identity).
        var ids = RandomWeights.For(ModelTypes.HierTcn, seed: 6);
        var rng = new Random(6);
        var features = ids.Names.Where(n => n != "item_embedding.weight").ToDictionary(n => n, n => ids[n]);
        var projected = new Dictionary<string, WeightTensor>(features)
        {
            ["item_projection.weight"] = new([16, 20], [.. Enumerable.Range(0, 320).Select(_ => (float)rng.NextDouble())]),
            ["item_projection.bias"] = new([16], [.. Enumerable.Range(0, 16).Select(_ => (float)rng.NextDouble())]),
        };
        foreach (var (name, weights) in new[] { ("projected", new ModelWeights(projected)), ("identity", new ModelWeights(features)) })
        {
            var bundle = BundleExporter.Export(_dir.File("bundles"), ModelTypes.HierTcn, weights, "f-" + name, itemFeatures: true);
            var (code, text) = OnnxChecker.Check(bundle.GraphPath(GraphRoles.Project));
            output.WriteLine($"{name}/item_projection.onnx: {text.Trim()}");
            Assert.True(code == 0, $"{name} item_projection.onnx rejected by onnx.checker: {text}");
        }
    }

    [OnnxCheckerFact]
    public void CheckModel_GraphsExportedFromATrainedGloboRun_Accepted()
    {
        // The run-directory path (RunExport), with trained weights and dims other than the random bundles' above.
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "HierTcn.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }
        // Its own copy of the prepared slice: GloboSlice is another class's fixture, cleaned up with that class.
        DatasetPreparer.Prepare(Path.Combine(root, "datasets", "globo-slice", "clicks.csv.gz"), _dir.File("globo"), new PrepareOptions());
        using var data = PreparedDataset.Open(_dir.File("globo"));
        string run = _dir.File("run");
        var options = new TrainingOptions
        {
            Model = new ModelOptions { Kind = ModelKind.HierTcn, ItemDim = 32, HighLayers = 2, HighHidden = 32, TcnChannels = 32 },
            MaxEpochs = 1,
            MaxTrainUsers = 50,
            Threads = 1,
            BatchSize = 16,
            SkipValidation = true,
        };
        new ModelTrainer(options).Run(data, run, finalEvaluation: false);
        var bundle = RunExport.Export(run, data.Directory, _dir.File("bundles"), version: "globo-hiertcn-1");
        foreach (var file in bundle.Manifest.Graphs.Values.Select(g => g.File).Distinct())
        {
            var (code, text) = OnnxChecker.Check(Path.Combine(bundle.Directory, file));
            output.WriteLine($"{file}: {text.Trim()}");
            Assert.True(code == 0, $"{file} rejected by onnx.checker: {text}");
        }
    }

    [OnnxCheckerFact]
    public void CheckModel_BrokenGraph_Rejected()
    {
        // The checker must be able to fail: a graph whose node reads a value nothing produces.
        var bundle = BundleExporter.Export(_dir.File("bundles"), ModelTypes.HierTcn, RandomWeights.For(ModelTypes.HierTcn, seed: 5), "broken");
        string path = bundle.GraphPath(GraphRoles.Update);
        var model = HierTcn.Formats.Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        model.Graph.Node[0].Input[0] = "no_such_value";
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        var (code, text) = OnnxChecker.Check(path);
        output.WriteLine(text.Trim().Split('\n')[^1]);
        Assert.NotEqual(0, code);
    }

    public void Dispose() => _dir.Dispose();
}

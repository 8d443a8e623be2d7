using HierTcn.Formats.Bundles;
using HierTcn.Trainer;
using HierTcn.Trainer.Models;
using static TorchSharp.torch;

namespace HierTcn.Exporter.Tests;

/// <summary>The item projection graph of feature models (<see cref="GraphRoles.Project"/>): ONNX Runtime against the
/// trainer's item layer on every item, with a trained projection and with the features used as they are, and the
/// bundle that declares it.</summary>
public sealed partial class TorchParityTests
{
    private const int FeatureDim = 20;

    [Theory]
    [InlineData("hiertcn", true, 1)]
    [InlineData("hiertcn", true, 300)]
    [InlineData("hiertcn", false, 300)]
    [InlineData("gru", true, 64)]
    public void Export_FeatureModel_ProjectionGraphMatchesTorchSharp(string modelType, bool project, int b)
    {
        var options = Small(ModelKinds.Parse(modelType)) with { ProjectFeatures = project, ItemDim = project ? 32 : FeatureDim };
        var rng = new Random(11);
        float[] features = [.. Enumerable.Range(0, Items * FeatureDim).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        TorchRuntime.Seed(3);
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(options, ItemSource.FromFeatures(features, Items, FeatureDim));
        model.eval();
        var weights = TorchWeights.From(model);
        var dims = StepGraphs.Dims(modelType, weights, itemFeatures: true);
        Assert.Equal(FeatureDim, dims.FeatureDim);
        var graphs = StepGraphs.Build(modelType, weights, itemFeatures: true);
        float[] want;
        using (no_grad())
        {
            want = model.ItemVectors().contiguous().cpu().data<float>().ToArray();
        }
        using var ort = new Ort(graphs[GraphRoles.Project]);
        var got = new List<float>();
        for (int start = 0; start < Items; start += b)
        {
            int rows = Math.Min(b, Items - start);
            got.AddRange(ort.Run(("features", features[(start * FeatureDim)..((start + rows) * FeatureDim)], [rows, FeatureDim]))["item_vectors"]);
        }
        Report($"{modelType} item projection (project {project})", b, 1, [.. got], want);
    }

    [Fact]
    public void Export_FeatureModel_BundleDeclaresFeatureDimAndProjection()
    {
        var options = Small(ModelKind.HierTcn);
        var rng = new Random(12);
        float[] features = [.. Enumerable.Range(0, Items * FeatureDim).Select(_ => (float)rng.NextDouble())];
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(options, ItemSource.FromFeatures(features, Items, FeatureDim));
        using var dir = new TempDirectory();
        var bundle = BundleExporter.Export(dir.Path, ModelTypes.HierTcn, TorchWeights.From(model), "f1", itemFeatures: true);
        Assert.Equal(FeatureDim, bundle.Manifest.Dims.FeatureDim);
        var spec = bundle.Manifest.Graphs[GraphRoles.Project];
        Assert.Equal("item_projection.onnx", spec.File);
        Assert.Equal(["features: float32[B, 20]"], spec.Inputs.Select(Describe));
        Assert.Equal(["item_vectors: float32[B, 32]"], spec.Outputs.Select(Describe));
        Assert.Contains("\"feature_dim\": 20", File.ReadAllText(Path.Combine(bundle.Directory, BundleManifest.FileName)));

        using var idModel = ModelFactory.Create(options, ItemSource.Ids(Items));
        var idBundle = BundleExporter.Export(dir.Path, ModelTypes.HierTcn, TorchWeights.From(idModel), "ids");
        Assert.Null(idBundle.Manifest.Dims.FeatureDim);
        Assert.False(idBundle.HasGraph(GraphRoles.Project));
        Assert.Throws<InvalidDataException>(() => StepGraphs.Dims(ModelTypes.HierTcn, TorchWeights.From(idModel), itemFeatures: true));
    }

    private static string Describe(TensorSpec t) => $"{t.Name}: {t.ElementType}{TensorDim.Format(t.Shape)}";
}

using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Google.Protobuf;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Onnx;
using HierTcn.Inference.Execution.Internal;
using HierTcn.Inference.Internal;

namespace HierTcn.Inference.Tests;

/// <summary>The service binds graph tensors by the names of <see cref="BundleSignatures.Tensors"/>: a graph whose
/// input was renamed is refused when it is loaded, with a message naming both names, instead of failing the first
/// Recommend.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class TensorBindingTests(ServedModelFixture model) : IDisposable
{
    private const string Renamed = "item_rows";
    private readonly string _dir = Directory.CreateTempSubdirectory("hiertcn-binding-").FullName;

    [Fact]
    public void OrtGraphLoad_ManifestAndGraphAgreeOnRenamedInput_RefusedAtLoad()
    {
        // A graph and a spec that agree with each other, so only the service's binding can notice the rename.
        var bundle = ModelBundle.Load(Path.Combine(model.BundlesDirectory, "v1"));
        var spec = bundle.Manifest.Graphs[GraphRoles.Embed];
        string path = Path.Combine(_dir, spec.File);
        File.WriteAllBytes(path, RenameInput(File.ReadAllBytes(bundle.GraphPath(GraphRoles.Embed)), BundleSignatures.Tensors.Items, Renamed));
        var renamed = spec with { Inputs = [.. spec.Inputs.Select(i => i.Name == BundleSignatures.Tensors.Items ? i with { Name = Renamed } : i)] };

        var e = Assert.Throws<InvalidDataException>(() =>
            OrtGraph.Load(path, renamed, ServedModel.EmbedInputs, ServedModel.EmbedOutputs, new RecommenderOptions(), out _));

        Assert.Contains("the service binds inputs items, lengths, state", e.Message);
        Assert.Contains($"the manifest declares inputs {Renamed}, lengths, state", e.Message);
    }

    [Fact]
    public void OrtGraphLoad_ContractNames_LoadsAndRuns()
    {
        var bundle = ModelBundle.Load(Path.Combine(model.BundlesDirectory, "v1"));
        using var graph = OrtGraph.Load(bundle.GraphPath(GraphRoles.Update), bundle.Manifest.Graphs[GraphRoles.Update],
            ServedModel.UpdateInputs, ServedModel.UpdateOutputs, new RecommenderOptions(), out _);
        var dims = bundle.Manifest.Dims;
        using var state = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(new float[dims.Layers * dims.Hidden], [1, dims.Layers, dims.Hidden]);
        using var mean = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(new float[dims.ItemDim], [1, dims.ItemDim]);
        using var outputs = graph.Run(state, mean);
        Assert.Equal(dims.Layers * dims.Hidden, outputs[0].GetTensorDataAsSpan<float>().Length);
    }

    [Fact]
    public void Start_BundleWithRenamedTensor_RefusedAtLoad()
    {
        // The whole bundle renamed consistently (graph, manifest, checksums): the engine refuses it at start.
        string bundles = Path.Combine(_dir, "bundles");
        string bundle = Path.Combine(bundles, "v1");
        Directory.CreateDirectory(bundle);
        foreach (string file in Directory.GetFiles(Path.Combine(model.BundlesDirectory, "v1")))
        {
            File.Copy(file, Path.Combine(bundle, Path.GetFileName(file)));
        }
        var manifestPath = Path.Combine(bundle, BundleManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        string embedFile = manifest["graphs"]![GraphRoles.Embed]!["file"]!.GetValue<string>();
        string graphPath = Path.Combine(bundle, embedFile);
        File.WriteAllBytes(graphPath, RenameInput(File.ReadAllBytes(graphPath), BundleSignatures.Tensors.Items, Renamed));
        foreach (var input in manifest["graphs"]![GraphRoles.Embed]!["inputs"]!.AsArray())
        {
            if (input!["name"]!.GetValue<string>() == BundleSignatures.Tensors.Items)
            {
                input["name"] = Renamed;
            }
        }
        manifest["files"]![embedFile] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(graphPath)));
        File.WriteAllText(manifestPath, manifest.ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => RecommenderEngine.Start(new RecommenderOptions
        {
            BundlesDirectory = bundles,
            SnapshotsDirectory = model.SnapshotsDirectory,
            Models = [new ModelArmOptions { Version = "v1" }],
            SnapshotPollInterval = TimeSpan.Zero,
        }, new ScriptedStateStore()));
        Assert.Contains(Renamed, e.Message);
        Assert.Contains("items", e.Message);
    }

    /// <summary>The ONNX model with graph input <paramref name="from"/> renamed to <paramref name="to"/> everywhere
    /// the graph uses it.</summary>
    private static byte[] RenameInput(byte[] onnx, string from, string to)
    {
        var m = ModelProto.Parser.ParseFrom(onnx);
        var input = m.Graph.Input.Single(i => i.Name == from);
        input.Name = to;
        foreach (var node in m.Graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                {
                    node.Input[i] = to;
                }
            }
        }
        return m.ToByteArray();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

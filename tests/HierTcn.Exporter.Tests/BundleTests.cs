using System.Security.Cryptography;
using System.Text.Json.Nodes;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;

namespace HierTcn.Exporter.Tests;

public sealed class BundleTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private ModelBundle Export(string type = ModelTypes.HierTcn, string version = "m1", ItemSnapshotRef? snapshot = null) =>
        BundleExporter.Export(_dir.File("bundles"), type, RandomWeights.For(type, seed: 11), version, snapshot,
            new TrainingSummary("runs/x", "globo", 3, new Dictionary<string, double> { ["test_recall@10"] = 0.31 }));

    [Theory]
    [InlineData(ModelTypes.HierTcn)]
    [InlineData(ModelTypes.HierGru)]
    [InlineData(ModelTypes.Hrnn)]
    [InlineData(ModelTypes.Gru)]
    [InlineData(ModelTypes.Tcn)]
    public void Export_EveryModelType_LoadsAndOrtSignatureMatchesManifest(string type)
    {
        var bundle = Export(type);
        Assert.Equal(type, bundle.Manifest.ModelType);
        Assert.Equal(16, bundle.StartToken(BundleSignatures.SessionStart).Length);
        foreach (var (role, spec) in bundle.Manifest.Graphs)
        {
            using var ort = new Ort(File.ReadAllBytes(bundle.GraphPath(role)));
            Assert.Equal(spec.Inputs.Select(i => i.Name), ort.Inputs.Keys);
            Assert.Equal(spec.Outputs.Select(i => i.Name), ort.Outputs.Keys);
            foreach (var input in spec.Inputs)
            {
                Assert.Equal(input.Shape.Select(d => d.IsDynamic ? -1 : (int)d.Value), ort.Inputs[input.Name].Dimensions);
            }
        }
        Assert.Empty(Directory.GetDirectories(_dir.File("bundles"), ".*"));
    }

    [Fact]
    public void Load_HierTcnBundleWithoutStepGraph_LoadsWithoutIt()
    {
        // A bundle written before the incremental TCN graph: no embed_step role, no tcn_row_step.onnx.
        var bundle = Export();
        string file = bundle.Manifest.Graphs[GraphRoles.EmbedStep].File;
        File.Delete(bundle.GraphPath(GraphRoles.EmbedStep));
        EditManifest(bundle.Directory, m =>
        {
            m["graphs"]!.AsObject().Remove(GraphRoles.EmbedStep);
            m["files"]!.AsObject().Remove(file);
        });
        var old = ModelBundle.Load(bundle.Directory);
        Assert.False(old.HasGraph(GraphRoles.EmbedStep));
        Assert.True(old.HasGraph(GraphRoles.Embed));
    }

    [Fact]
    public void Load_StepGraphWithWrongBufferSize_Refused()
    {
        var bundle = Export();
        EditManifest(bundle.Directory, m => m["graphs"]![GraphRoles.EmbedStep]!["inputs"]![2]!["shape"]![1] = 7);
        var e = Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory));
        Assert.Contains("\"embed_step\" graph tcn_row_step.onnx inputs do not match", e.Message);
    }

    [Fact]
    public void Export_SameVersionTwice_Refused()
    {
        Export();
        Assert.Contains("already exists", Assert.Throws<IOException>(() => Export()).Message);
    }

    [Fact]
    public void Load_FlippedByteInGraph_RefusedNamingFileAndChecksum()
    {
        var bundle = Export();
        string path = bundle.GraphPath(GraphRoles.Embed);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory));
        Assert.Contains("tcn_step.onnx: checksum mismatch", e.Message);
    }

    [Fact]
    public void Load_MissingFile_RefusedNamingIt()
    {
        var bundle = Export();
        File.Delete(Path.Combine(bundle.Directory, "gru_step.onnx"));
        var e = Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory));
        Assert.Contains("gru_step.onnx: missing", e.Message);
    }

    [Fact]
    public void Load_TruncatedGraphWithMatchingChecksum_RefusedAsInvalidOnnx()
    {
        var bundle = Export();
        string path = bundle.GraphPath(GraphRoles.Update);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);
        Rehash(bundle.Directory, "gru_step.onnx");
        var e = Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory));
        Assert.Contains("gru_step.onnx", e.Message);
    }

    [Fact]
    public void Load_GraphsSwappedWithMatchingChecksums_RefusedListingExpectedAndFound()
    {
        var bundle = Export();
        File.Copy(bundle.GraphPath(GraphRoles.Embed), bundle.GraphPath(GraphRoles.Update), overwrite: true);
        Rehash(bundle.Directory, "gru_step.onnx");
        var e = Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory));
        Assert.Contains("gru_step.onnx: ONNX graph (\"update\") inputs do not match: expected state: float32[B, 2, 8]; session_mean: float32[B, 16]", e.Message);
        Assert.Contains("found items: float32[B, T, 16]", e.Message);
    }

    [Fact]
    public void Load_ManifestDimsDisagreeWithGraphs_Refused()
    {
        var bundle = Export();
        EditManifest(bundle.Directory, m => m["dims"]!["hidden"] = 64);
        var e = Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory));
        Assert.Contains("manifest.json", e.Message);
        Assert.Contains("do not match", e.Message);
        Assert.Contains("float32[B, 2, 64]", e.Message);
    }

    [Fact]
    public void Load_BrokenOrIncompleteManifest_Refused()
    {
        var bundle = Export();
        string manifest = Path.Combine(bundle.Directory, BundleManifest.FileName);
        string good = File.ReadAllText(manifest);
        File.WriteAllText(manifest, good[..(good.Length / 2)]);
        Assert.Contains("invalid manifest", Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory)).Message);
        File.WriteAllText(manifest, good);
        EditManifest(bundle.Directory, m => m.Remove("model_type"));
        Assert.Contains("model_type", Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory)).Message);
        File.WriteAllText(manifest, good);
        EditManifest(bundle.Directory, m => m["format_version"] = 99);
        Assert.Contains("format_version 99", Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory)).Message);
        File.Delete(manifest);
        Assert.Contains("manifest.json: missing", Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory)).Message);
    }

    [Fact]
    public void Load_StartTokenFileTooShort_Refused()
    {
        var bundle = Export();
        string path = Path.Combine(bundle.Directory, BundleSignatures.StartTokensFile);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..32]);
        Rehash(bundle.Directory, BundleSignatures.StartTokensFile);
        var e = Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory));
        Assert.Contains("start_tokens.bin: start token \"session_start\" needs floats [0, 16), the file has 8", e.Message);
    }

    [Fact]
    public void OpenSnapshot_ReferencedSnapshot_OpensAndWrongOnesAreRefused()
    {
        string snaps = _dir.File("snapshots");
        var ids = Enumerable.Range(0, 50).Select(i => (long)i * 3).ToArray();
        var weights = RandomWeights.For(ModelTypes.HierTcn, seed: 11);
        string path = ItemSnapshotDirectory.Publish(snaps, "items-1", ids, weights["item_embedding.weight"].Data, 16);
        var bundle = Export(snapshot: BundleExporter.Reference(path));
        using (var s = bundle.OpenSnapshot(snaps))
        {
            Assert.Equal(50, s.Count);
        }

        // Same version name, other content: the checksum in the manifest catches it.
        ItemSnapshotDirectory.Publish(snaps, "items-1", ids, new float[50 * 16], 16);
        Assert.Contains("expects checksum", Assert.Throws<InvalidDataException>(() => bundle.OpenSnapshot(snaps)).Message);

        // Wrong dimension.
        string other = ItemSnapshotDirectory.Publish(snaps, "items-2", ids, new float[50 * 8], 8);
        using var wrong = ItemSnapshot.Open(other);
        Assert.Contains("item dimension 8 does not match model m1's item dimension 16",
            Assert.Throws<InvalidDataException>(() => bundle.CheckSnapshot(wrong)).Message);
        Assert.Contains("dimension 8", Assert.Throws<InvalidDataException>(() => Export(version: "m2", snapshot: BundleExporter.Reference(other))).Message);
    }

    [Fact]
    public void Export_WeightOfWrongShape_RefusedNamingTheWeight()
    {
        var w = RandomWeights.For(ModelTypes.HierTcn, seed: 1);
        var tensors = w.Names.ToDictionary(n => n, n => w[n]);
        tensors["tcn.blocks.2.conv2.weight"] = new WeightTensor([12, 12, 4], new float[12 * 12 * 4]);
        var e = Assert.Throws<InvalidDataException>(() => BundleExporter.Export(_dir.File("b"), ModelTypes.HierTcn, new ModelWeights(tensors), "bad"));
        Assert.Contains("tcn.blocks.2.conv2.weight has shape [12, 12, 4], expected [12, 12, 3]", e.Message);
        Assert.False(Directory.Exists(_dir.File("b/bad")));
    }

    /// <summary>Trainer options the exported graphs do not compute (batch norm, layer norm) are refused, naming the
    /// layer, and nothing is written.</summary>
    [Fact]
    public void Export_LayersTheExporterLacks_RefusedNamingThem()
    {
        var w = RandomWeights.For(ModelTypes.HierTcn, seed: 1);
        var tensors = w.Names.ToDictionary(n => n, n => w[n]);
        tensors["tcn.blocks.0.bn1.weight"] = new WeightTensor([12], new float[12]);
        var e = Assert.Throws<InvalidDataException>(() => BundleExporter.Export(_dir.File("b"), ModelTypes.HierTcn, new ModelWeights(tensors), "bn"));
        Assert.Contains("tcn.blocks.0 uses masked batch normalization", e.Message);
        tensors.Remove("tcn.blocks.0.bn1.weight");
        tensors["tcn.blocks.0.ln1.weight"] = new WeightTensor([12], new float[12]);
        e = Assert.Throws<InvalidDataException>(() => BundleExporter.Export(_dir.File("b"), ModelTypes.HierTcn, new ModelWeights(tensors), "ln"));
        Assert.Contains("tcn.blocks.0 uses layer normalization", e.Message);
        Assert.False(Directory.Exists(_dir.File("b/ln")));

    }

    private static void Rehash(string bundle, string file) => EditManifest(bundle, m =>
        m["files"]![file] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(bundle, file)))));

    /// <summary>A model with a recent-popularity prior: the manifest carries w and the window, the score graph reads
    /// item_prior; a manifest that drops either half, or carries a non-positive window, is refused; the exporter refuses
    /// a prior without a window and a window without a prior.</summary>
    [Theory]
    [InlineData(ModelTypes.HierTcn)]
    [InlineData(ModelTypes.HierGru)]
    public void Export_RecentPopPrior_ManifestCarriesItAndTheLoaderChecksIt(string type)
    {
        var plain = RandomWeights.For(type, seed: 11);
        var tensors = plain.Names.ToDictionary(n => n, n => plain[n]);
        tensors[StepGraphs.RecentPopWeight] = new WeightTensor([1], [0.75f]);
        var weights = new ModelWeights(tensors);
        var bundle = BundleExporter.Export(_dir.File("bundles"), type, weights, "prior", recentPopWindowMs: 600_000);
        Assert.Equal(new RecentPopPriorSpec(0.75f, 600_000), bundle.Manifest.RecentPopPrior);
        Assert.True(bundle.Manifest.Dims.RecentPop);
        using (var ort = new Ort(File.ReadAllBytes(bundle.GraphPath(GraphRoles.Score))))
        {
            Assert.Equal(["user_embedding", "item_matrix", "k", "item_prior"], ort.Inputs.Keys);
        }
        string manifest = Path.Combine(bundle.Directory, BundleManifest.FileName);
        string good = File.ReadAllText(manifest);
        EditManifest(bundle.Directory, m => m.Remove("recent_pop_prior"));
        Assert.Contains("no recent_pop_prior", Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory)).Message);
        File.WriteAllText(manifest, good);
        EditManifest(bundle.Directory, m => m["dims"]!.AsObject().Remove("recent_pop"));
        Assert.Contains("dims.recent_pop is not true", Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory)).Message);
        File.WriteAllText(manifest, good);
        EditManifest(bundle.Directory, m => m["recent_pop_prior"]!["window_ms"] = 0);
        Assert.Contains("positive window_ms", Assert.Throws<InvalidDataException>(() => ModelBundle.Load(bundle.Directory)).Message);
        File.WriteAllText(manifest, good);
        Assert.NotNull(ModelBundle.Load(bundle.Directory).Manifest.RecentPopPrior);

        Assert.Contains("no positive window", Assert.Throws<InvalidDataException>(
            () => BundleExporter.Export(_dir.File("bundles"), type, weights, "prior-no-window")).Message);
        Assert.Contains("no recent_pop_weight", Assert.Throws<InvalidDataException>(
            () => BundleExporter.Export(_dir.File("bundles"), type, plain, "window-no-prior", recentPopWindowMs: 600_000)).Message);
    }

    private static void EditManifest(string bundle, Action<JsonObject> edit)
    {
        string path = Path.Combine(bundle, BundleManifest.FileName);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    public void Dispose() => _dir.Dispose();
}

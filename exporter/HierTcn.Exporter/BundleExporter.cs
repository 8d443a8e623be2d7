using System.Runtime.InteropServices;
using HierTcn.Exporter.Internal;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;

namespace HierTcn.Exporter;

/// <summary>Turns a model's weights into a model bundle (<see cref="ModelBundle"/>): the step graphs of its type,
/// its start tokens, the manifest; written atomically, then loaded back through the checking loader.</summary>
public static class BundleExporter
{
    /// <summary>Writes the bundle <c>BUNDLES_DIR/VERSION</c> and returns it loaded (so every check has passed).</summary>
    /// <param name="bundlesDirectory">Parent of the bundle directories.</param>
    /// <param name="modelType">One of <see cref="ModelTypes"/>.</param>
    /// <param name="weights">The model's weights under CONTRACT.md's names.</param>
    /// <param name="modelVersion">The bundle's immutable version id (a directory name).</param>
    /// <param name="snapshot">The item snapshot the model scores against, or null when serving brings its own.</param>
    /// <param name="training">Summary of the training report, or null.</param>
    /// <param name="sessionGapMs">The session rule the model was trained with.</param>
    /// <param name="itemFeatures">The model was trained on item features (<c>train --items features</c>): the bundle
    /// then has the item projection graph and <c>feature_dim</c> (set by itself when the weights have an item_projection).</param>
    /// <param name="recentPopWindowMs">The window of the recent-popularity prior the model was trained with; required
    /// when the weights have <see cref="StepGraphs.RecentPopWeight"/> (<c>--recent-pop-prior</c>), refused otherwise.</param>
    /// <exception cref="InvalidDataException">The weights do not fit the model type (the message names the weight).</exception>
    public static ModelBundle Export(string bundlesDirectory, string modelType, ModelWeights weights, string modelVersion,
        ItemSnapshotRef? snapshot = null, TrainingSummary? training = null, long sessionGapMs = HierTcn.Formats.SessionRule.DefaultGapMs,
        bool itemFeatures = false, long? recentPopWindowMs = null)
    {
        var dims = StepGraphs.Dims(modelType, weights, itemFeatures);
        RecentPopPriorSpec? prior = null;
        if (dims.RecentPop == true)
        {
            if (recentPopWindowMs is not > 0)
            {
                throw new InvalidDataException($"the weights have {StepGraphs.RecentPopWeight} (a recent-popularity prior) but no positive window was given: {recentPopWindowMs}");
            }
            prior = new RecentPopPriorSpec(weights.Get(StepGraphs.RecentPopWeight, 1).Data[0], recentPopWindowMs.Value);
        }
        else if (recentPopWindowMs is not null)
        {
            throw new InvalidDataException($"a recent-popularity window was given but the weights have no {StepGraphs.RecentPopWeight}");
        }
        if (snapshot is not null && snapshot.Dimension != dims.ItemDim)
        {
            throw new InvalidDataException($"item snapshot {snapshot.Version} has dimension {snapshot.Dimension}, the model's item dimension is {dims.ItemDim}");
        }
        var graphs = StepGraphs.Build(modelType, weights, itemFeatures);
        var specs = BundleSignatures.Graphs(modelType, dims);
        var tokens = BundleSignatures.StartTokens(modelType, dims);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (role, spec) in specs)
        {
            files[spec.File] = graphs[role];
        }
        files[tokens.File] = StartTokenBytes(modelType, weights, dims, tokens);
        var manifest = new BundleManifest
        {
            ModelVersion = modelVersion,
            ModelType = modelType,
            CreatedUtc = DateTimeOffset.UtcNow,
            Dims = dims,
            Opset = OnnxGraph.Opset,
            IrVersion = OnnxGraph.IrVersion,
            Graphs = specs,
            StartTokens = tokens,
            SessionGapMs = sessionGapMs,
            Training = training,
            ItemSnapshot = snapshot,
            RecentPopPrior = prior,
        };
        return ModelBundle.Load(ModelBundleWriter.Write(bundlesDirectory, manifest, files));
    }

    /// <summary>A reference to a written snapshot, for <see cref="Export"/>.</summary>
    public static ItemSnapshotRef Reference(string snapshotPath)
    {
        var header = ItemSnapshot.Verify(snapshotPath);
        return new ItemSnapshotRef(Path.GetFileNameWithoutExtension(snapshotPath), header.Checksum, header.Rows, header.Dimension);
    }

    private static byte[] StartTokenBytes(string modelType, ModelWeights w, ModelDims dims, StartTokensSpec spec)
    {
        var all = new float[spec.Tokens.Sum(t => t.Count)];
        foreach (var token in spec.Tokens)
        {
            float[] values = token.Name switch
            {
                BundleSignatures.SessionStart => w.Get("session_start", dims.ItemDim).Data,
                // The flat GRU starts every user from a zero state; the bundle says so explicitly.
                BundleSignatures.UserStart when modelType == ModelTypes.Gru => new float[dims.Layers * dims.Hidden],
                BundleSignatures.UserStart => w.Get("user_start", dims.Layers, dims.Hidden).Data,
                _ => throw new InvalidOperationException(token.Name),
            };
            values.CopyTo(all, token.Offset);
        }
        return MemoryMarshal.AsBytes(all.AsSpan()).ToArray();
    }
}

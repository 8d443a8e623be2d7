using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference.Execution.Internal;
using Microsoft.ML.OnnxRuntime;
using Tensors = HierTcn.Formats.Bundles.BundleSignatures.Tensors;

namespace HierTcn.Inference.Snapshots;

/// <summary>
/// The daily snapshot job of a feature model: every item of the day's feature file, new items included, embedded
/// with the bundle's item projection graph (<see cref="GraphRoles.Project"/>) on ONNX Runtime's CPU provider, in
/// batches, then published atomically with <see cref="ItemSnapshotDirectory.Publish"/>. A running service that
/// follows the directory's <c>CURRENT</c> picks the new snapshot up at its next poll. No TorchSharp.
/// </summary>
public static class FeatureSnapshotBuilder
{
    /// <summary>Items per ONNX Runtime call (default 4,096): a batch's input and output stay a few MiB.</summary>
    public const int DefaultBatchSize = 4096;

    /// <summary>Embeds the items <paramref name="ids"/> (feature rows of <paramref name="features"/>, row-major,
    /// <paramref name="featureDim"/> values each) and publishes them as snapshot <paramref name="version"/> in
    /// <paramref name="snapshotDirectory"/>; returns the snapshot's path. The bundle's own snapshot is not touched.</summary>
    /// <exception cref="InvalidDataException">The bundle has no item projection (an ID model), the feature width is not
    /// the bundle's feature dimension (the message names both), the ids are empty, repeated or do not match the rows,
    /// or an embedded vector is not finite.</exception>
    public static string Publish(ModelBundle bundle, long[] ids, float[] features, int featureDim, string snapshotDirectory, string version,
        int batchSize = DefaultBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var m = bundle.Manifest;
        if (m.Dims.FeatureDim is not { } expected || !bundle.HasGraph(GraphRoles.Project))
        {
            throw new InvalidDataException($"model {m.ModelVersion} ({bundle.Directory}) was trained on item ids: its bundle has no feature_dim "
                + "and no item projection graph, so it cannot embed items from features; train with --items features");
        }
        if (featureDim != expected)
        {
            throw new InvalidDataException($"the feature file has {featureDim} values per item; model {m.ModelVersion} was trained on "
                + $"{expected}-dimensional item features (feature_dim in {BundleManifest.FileName})");
        }
        CheckIds(ids, features.Length, featureDim);
        float[] vectors = Embed(bundle, features, ids.Length, featureDim, m.Dims.ItemDim, batchSize);
        return ItemSnapshotDirectory.Publish(snapshotDirectory, version, ids, vectors, m.Dims.ItemDim);
    }

    private static void CheckIds(long[] ids, int featureValues, int featureDim)
    {
        if (ids.Length == 0)
        {
            throw new InvalidDataException("no items to embed");
        }
        if ((long)ids.Length * featureDim != featureValues)
        {
            throw new InvalidDataException($"{ids.Length} item ids but {featureValues} feature values ({featureDim} per item expected)");
        }
        var seen = new HashSet<long>(ids.Length);
        foreach (long id in ids)
        {
            if (!seen.Add(id))
            {
                throw new InvalidDataException($"item id {id} appears twice");
            }
        }
    }

    private static float[] Embed(ModelBundle bundle, float[] features, int count, int featureDim, int itemDim, int batchSize)
    {
        using var graph = OrtGraph.Load(bundle.GraphPath(GraphRoles.Project), bundle.Manifest.Graphs[GraphRoles.Project],
            [Tensors.Features], [Tensors.ItemVectors], new RecommenderOptions(), out _);
        var vectors = new float[(long)count * itemDim];
        for (int start = 0; start < count; start += batchSize)
        {
            int rows = Math.Min(batchSize, count - start);
            var input = new Memory<float>(features, start * featureDim, rows * featureDim);
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input, [rows, featureDim]);
            using var outputs = graph.Run(value);
            var batch = outputs[0].GetTensorDataAsSpan<float>();
            for (int i = 0; i < batch.Length; i++)
            {
                if (!float.IsFinite(batch[i]))
                {
                    throw new InvalidDataException($"item at row {start + i / itemDim} embeds to a non-finite value; the bundle's projection or the features are broken");
                }
            }
            batch.CopyTo(vectors.AsSpan(start * itemDim, rows * itemDim));
        }
        return vectors;
    }
}

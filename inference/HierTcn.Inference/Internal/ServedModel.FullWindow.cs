using System.Diagnostics;
using HierTcn.Formats.Bundles;
using Microsoft.ML.OnnxRuntime;

namespace HierTcn.Inference.Internal;

internal sealed partial class ServedModel
{
    /// <summary>The embed graph once for the whole batch, each row's session window padded to the longest: for bundles
    /// without the incremental graph, GRU models, and <see cref="RecommenderOptions.IncrementalEmbedding"/> off.</summary>
    private void EmbedFullWindow(ReadOnlySpan<EmbedJob> jobs, float[][] hidden, float[] users)
    {
        int b = jobs.Length;
        var dims = Bundle.Manifest.Dims;
        var rowLists = new List<int>[b];
        var startFlags = new bool[b];
        int t = 1;
        for (int i = 0; i < b; i++)
        {
            rowLists[i] = new List<int>(jobs[i].SessionItems.Length);
            startFlags[i] = WindowRows(jobs[i], rowLists[i]);
            t = Math.Max(t, rowLists[i].Count + (startFlags[i] ? 1 : 0));
        }
        var items = new float[b * t * Dim];
        var lengths = new long[b];
        var state = new float[b * StateSize];
        for (int i = 0; i < b; i++)
        {
            var snapshot = jobs[i].Snapshot.Snapshot;
            int at = i * t * Dim;
            if (startFlags[i])
            {
                _sessionStart.CopyTo(items, at);
                at += Dim;
            }
            foreach (int row in rowLists[i])
            {
                snapshot.Row(row).CopyTo(items.AsSpan(at, Dim));
                at += Dim;
            }
            lengths[i] = rowLists[i].Count + (startFlags[i] ? 1 : 0);
            hidden[i].CopyTo(state, i * StateSize);
        }
        long begin = Stopwatch.GetTimestamp();
        using (var itemsValue = OrtValue.CreateTensorValueFromMemory(items, [b, t, Dim]))
        using (var lengthsValue = OrtValue.CreateTensorValueFromMemory(lengths, [b]))
        using (var stateValue = OrtValue.CreateTensorValueFromMemory(state, [b, dims.Layers, dims.Hidden]))
        using (var outputs = _embed.Run(itemsValue, lengthsValue, stateValue))
        {
            outputs[0].GetTensorDataAsSpan<float>().CopyTo(users);
        }
        Ran(GraphRoles.Embed, begin);
    }
}

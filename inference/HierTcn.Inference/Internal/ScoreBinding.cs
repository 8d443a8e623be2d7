using System.Runtime.InteropServices;
using HierTcn.Inference.Execution.Internal;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace HierTcn.Inference.Internal;

/// <summary>
/// The score graph bound once for a group of a given number of rows (with the k kept and the snapshot of its
/// <see cref="BatchWork"/>) and run again for every such group without allocating: the inputs are the work's pinned
/// user rows and k and the memory-mapped item matrix, the outputs the work's pinned score and index arrays. Not
/// thread-safe: owned by one <see cref="BatchWork"/>. A model with a recent-popularity prior also binds the work's
/// prior array (item_prior), refilled before each run.
/// </summary>
internal sealed class ScoreBinding : IDisposable
{
    private readonly OrtValue[] _values;
    private readonly OrtIoBinding _binding;

    /// <param name="graph">The score graph.</param>
    /// <param name="users">Pinned, at least <paramref name="rows"/> x <paramref name="dim"/>: the rows' user embeddings.</param>
    /// <param name="k">Pinned, one value: how many items the graph keeps per row (<paramref name="top"/>).</param>
    /// <param name="scores">Pinned, at least <paramref name="rows"/> x <paramref name="top"/>: each row's kept scores, best first.</param>
    /// <param name="indices">Pinned, the same size: the snapshot rows of those scores.</param>
    /// <param name="prior">Pinned, at least the snapshot's rows, for a model with a recent-popularity prior: the item_prior
    /// input [1, N]; null otherwise.</param>
    public ScoreBinding(OrtGraph graph, float[] users, long[] k, float[] scores, long[] indices, float[]? prior, SnapshotHandle snapshot, int rows,
        long top, int dim)
    {
        var memory = OrtMemoryInfo.DefaultInstance;
        var items = snapshot.Snapshot;
        var inputs = new List<OrtValue>
        {
            OrtValue.CreateTensorValueWithData(memory, TensorElementType.Float, [rows, dim], Marshal.UnsafeAddrOfPinnedArrayElement(users, 0), 4L * rows * dim),
            OrtValue.CreateTensorValueWithData(memory, TensorElementType.Float, [items.Count, dim], items.MatrixPointer, 4L * items.Count * dim),
            OrtValue.CreateTensorValueWithData(memory, TensorElementType.Int64, [1], Marshal.UnsafeAddrOfPinnedArrayElement(k, 0), 8),
        };
        if (prior is not null)
        {
            inputs.Add(OrtValue.CreateTensorValueWithData(memory, TensorElementType.Float, [1, items.Count], Marshal.UnsafeAddrOfPinnedArrayElement(prior, 0),
                4L * items.Count));
        }
        int inputCount = inputs.Count;
        inputs.Add(OrtValue.CreateTensorValueWithData(memory, TensorElementType.Float, [rows, top], Marshal.UnsafeAddrOfPinnedArrayElement(scores, 0), 4L * rows * top));
        inputs.Add(OrtValue.CreateTensorValueWithData(memory, TensorElementType.Int64, [rows, top], Marshal.UnsafeAddrOfPinnedArrayElement(indices, 0), 8L * rows * top));
        _values = [.. inputs];
        try
        {
            _binding = graph.Bind(_values.AsSpan(0, inputCount), _values.AsSpan(inputCount, 2));
        }
        catch
        {
            DisposeValues();
            throw;
        }
    }

    public void Run(OrtGraph graph) => graph.Run(_binding);

    public void Dispose()
    {
        _binding.Dispose();
        DisposeValues();
    }

    private void DisposeValues()
    {
        foreach (var value in _values)
        {
            value.Dispose();
        }
    }
}

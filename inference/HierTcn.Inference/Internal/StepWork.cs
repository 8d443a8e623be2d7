namespace HierTcn.Inference.Internal;

/// <summary>The arrays of one batch being embedded with the incremental TCN, pooled per model version and sized for the
/// largest batch: every row's buffers, the rows each job still has to feed, and the inputs of one step run (its rows
/// packed at the front). Not thread-safe: one batch at a time.</summary>
internal sealed class StepWork(int maxBatch, int dim, int stateSize, int bufferSize)
{
    /// <summary>Marks the session start token in <see cref="Rows"/>.</summary>
    public const int StartToken = -1;

    /// <summary>[maxBatch, S]: job i's buffers, from its cache entry or zeros, advanced by each of its rows.</summary>
    public float[] Buffers { get; } = new float[maxBatch * bufferSize];

    /// <summary>Per job, the snapshot rows (or <see cref="StartToken"/>) still to feed, oldest first.</summary>
    public List<int>[] Rows { get; } = [.. Enumerable.Range(0, maxBatch).Select(_ => new List<int>())];

    /// <summary>Per job, whether its result goes back to the cache.</summary>
    public bool[] Cacheable { get; } = new bool[maxBatch];

    /// <summary>The jobs of the current step run, in its row order.</summary>
    public int[] Members { get; } = new int[maxBatch];

    public float[] Item { get; } = new float[maxBatch * dim];

    public float[] State { get; } = new float[maxBatch * stateSize];

    public float[] StepBuffers { get; } = new float[maxBatch * bufferSize];
}

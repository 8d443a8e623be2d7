namespace HierTcn.Inference.Internal;

/// <summary>The arrays of one batch, pooled per model version and sized for the largest batch, so a batch allocates
/// nothing but its results: the user embeddings, each row's high-level state, and the scoring pass's grouping and
/// inputs. Not thread-safe: one batch at a time.</summary>
internal sealed class BatchWork(int maxBatch, int dim)
{
    /// <summary>[maxBatch, d]: row i's user embedding.</summary>
    public float[] Users { get; } = new float[maxBatch * dim];

    /// <summary>Row i's high-level state (the job's own array, or the update graph's output for a closing row).</summary>
    public float[][] Hidden { get; } = new float[maxBatch][];

    /// <summary>Per row, whether the scoring pass has placed it in a group.</summary>
    public bool[] Grouped { get; } = new bool[maxBatch];

    /// <summary>The rows of the scoring group being run.</summary>
    public int[] Members { get; } = new int[maxBatch];

    /// <summary>[maxBatch, d]: the group's user embeddings, packed.</summary>
    public float[] GroupUsers { get; } = new float[maxBatch * dim];

    /// <summary>The score graph's k input.</summary>
    public long[] TopK { get; } = new long[1];

    /// <summary>One row's top k before it is copied to its exact-size result (grown to the largest k seen).</summary>
    public ItemScore[] Scratch { get; set; } = [];
}

namespace HierTcn.Inference.Internal;

/// <summary>The arrays of one batch, pooled per model version and sized for the largest batch, so a batch allocates
/// nothing but its results: the user embeddings, each row's high-level state, and the scoring pass's grouping and
/// inputs. Not thread-safe: one batch at a time.</summary>
internal sealed class BatchWork(int maxBatch, int dim) : IDisposable
{
    /// <summary>[maxBatch, d]: row i's user embedding.</summary>
    public float[] Users { get; } = new float[maxBatch * dim];

    /// <summary>Row i's high-level state (the job's own array, or the update graph's output for a closing row).</summary>
    public float[][] Hidden { get; } = new float[maxBatch][];

    /// <summary>Per row, whether the scoring pass has placed it in a group.</summary>
    public bool[] Grouped { get; } = new bool[maxBatch];

    /// <summary>The rows of the scoring group being run.</summary>
    public int[] Members { get; } = new int[maxBatch];

    /// <summary>[maxBatch, d]: the group's user embeddings, packed (pinned: the score binding reads it in place).</summary>
    public float[] GroupUsers { get; } = GC.AllocateArray<float>(maxBatch * dim, pinned: true);

    /// <summary>The score graph's k input (pinned).</summary>
    public long[] TopK { get; } = GC.AllocateArray<long>(1, pinned: true);

    /// <summary>One row's top k before it is copied to its exact-size result (grown to the largest k seen).</summary>
    public ItemScore[] Scratch { get; set; } = [];

    /// <summary>The snapshot and k the score bindings are for.</summary>
    public SnapshotHandle? BoundSnapshot { get; private set; }

    public long BoundTop { get; private set; }

    /// <summary>[maxBatch, top], pinned: the score graph's outputs.</summary>
    public float[] Scores { get; private set; } = [];

    public long[] Indices { get; private set; } = [];

    /// <summary>By group rows: the score graph bound for <see cref="BoundSnapshot"/> and <see cref="BoundTop"/>.</summary>
    public ScoreBinding?[] Bindings { get; } = new ScoreBinding?[maxBatch + 1];

    /// <summary>[N], pinned, for a model with a recent-popularity prior: the group's prior term per snapshot row (the
    /// score graph's item_prior); null otherwise.</summary>
    public float[]? Prior { get; private set; }

    /// <summary>At least <paramref name="items"/> floats for the prior of a candidate group (scored in C#, so not pinned),
    /// kept for the next batch.</summary>
    public float[] CandidatePrior(int items)
    {
        if (_candidatePrior.Length < items)
        {
            _candidatePrior = new float[items];
        }
        return _candidatePrior;
    }

    private float[] _candidatePrior = [];

    /// <summary>Makes the bindings those of <paramref name="snapshot"/> and <paramref name="top"/>: another snapshot
    /// or k disposes the old ones (the output arrays, and the prior's with <paramref name="prior"/>, are kept while
    /// large enough).</summary>
    public void BindFor(SnapshotHandle snapshot, long top, bool prior = false)
    {
        if (ReferenceEquals(BoundSnapshot, snapshot) && BoundTop == top)
        {
            return;
        }
        DisposeBindings();
        int items = snapshot.Snapshot.Count;
        if (prior && (Prior is null || Prior.Length < items))
        {
            Prior = GC.AllocateArray<float>(items, pinned: true);
        }
        if (Scores.Length < maxBatch * top)
        {
            Scores = GC.AllocateArray<float>((int)(maxBatch * top), pinned: true);
            Indices = GC.AllocateArray<long>((int)(maxBatch * top), pinned: true);
        }
        BoundSnapshot = snapshot;
        BoundTop = top;
    }

    public void Dispose() => DisposeBindings();

    private void DisposeBindings()
    {
        for (int i = 0; i < Bindings.Length; i++)
        {
            Bindings[i]?.Dispose();
            Bindings[i] = null;
        }
        BoundSnapshot = null;
    }
}

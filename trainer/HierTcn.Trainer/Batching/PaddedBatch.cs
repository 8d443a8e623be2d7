namespace HierTcn.Trainer.Batching;

/// <summary>
/// One mini-batch as plain arrays (the producer thread builds it; the training thread turns it into tensors).
/// Row-major [Rows, Steps], padded at the end of each row. Hierarchical batches hold one session per row and
/// <see cref="NewUser"/>; flat batches hold a user's whole sequence per row and <see cref="SessionStarts"/>.
/// </summary>
public sealed class PaddedBatch
{
    public required int Rows { get; init; }
    /// <summary>Padded length T (the longest row).</summary>
    public required int Steps { get; init; }
    /// <summary>[Rows * Steps] dense item ids (0 in padding).</summary>
    public required long[] Items { get; init; }
    /// <summary>[Rows] valid positions per row; 0 for a row with nothing this step.</summary>
    public required long[] Lengths { get; init; }
    /// <summary>[Rows * Steps] global event index of each position, -1 in padding.</summary>
    public required int[] Events { get; init; }
    /// <summary>Hierarchical: [Rows], true where the row's session is its user's first (the high level restarts).</summary>
    public bool[]? NewUser { get; init; }
    /// <summary>Flat: [Rows * Steps], 1 where the event opens a session.</summary>
    public float[]? SessionStarts { get; init; }

    /// <summary>Number of valid positions (events to predict).</summary>
    public long EventCount => Lengths.Sum();
}

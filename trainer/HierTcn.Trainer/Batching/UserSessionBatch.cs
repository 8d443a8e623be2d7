namespace HierTcn.Trainer.Batching;

/// <summary>
/// Whole users for a hierarchical model, one optimizer step: every session of <see cref="Users"/> users. The sessions
/// are laid out twice: as a grid [Users, MaxSessions] (cell user * MaxSessions + k is the user's k-th session) for the
/// high level, which steps once per session over all users at once, and in <see cref="Buckets"/> of similar length
/// (one session per row, <see cref="PaddedBatch.NewUser"/> on a user's first session, <see cref="PaddedBatch.Cells"/>
/// naming each row's cell) for the low level, so padding stays small.
/// </summary>
public sealed class UserSessionBatch
{
    public required int Users { get; init; }
    /// <summary>Sessions of the user with the most in this batch (S).</summary>
    public required int MaxSessions { get; init; }
    public required PaddedBatch[] Buckets { get; init; }
    /// <summary>[Users * MaxSessions]: for each cell the index of its row among all buckets' rows (buckets in order,
    /// rows in order), or the total row count where the user has fewer sessions.</summary>
    public required long[] GridRows { get; init; }

    /// <summary>Sessions in the batch (bucket rows).</summary>
    public int RowCount => Buckets.Sum(b => b.Rows);

    /// <summary>Events that carry a loss (each user's first event excluded).</summary>
    public long ScoredCount => Buckets.Sum(b => b.ScoredCount);

    /// <summary>Padded positions the low level reads.</summary>
    public long PaddedPositions => Buckets.Sum(b => (long)b.Rows * b.Steps);
}

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
    /// <summary>A bucket of a <see cref="UserSessionBatch"/>: [Rows], each row's cell (user * MaxSessions + session
    /// index) in the batch's grid of sessions.</summary>
    public long[]? Cells { get; init; }

    /// <summary>False while the optimizer step this batch belongs to continues with the next batch: the trainer
    /// accumulates gradients until a batch with <c>true</c>, so no optimizer step trains on a sliver of a batch.</summary>
    public bool StepAfter { get; init; } = true;
    /// <summary>Scored events of the whole optimizer step this batch belongs to (the loss of each batch is its summed
    /// event losses over this count, so a step's gradient is the mean over its events). 0: this batch's own count.</summary>
    public long GroupEvents { get; init; }

    /// <summary>Number of valid positions (events to predict).</summary>
    public long EventCount => Lengths.Sum();

    /// <summary>Whether row <paramref name="r"/> begins at its user's first event (hierarchical: <see cref="NewUser"/>;
    /// flat: every row is a whole user).</summary>
    public bool StartsUser(int r) => NewUser is null || NewUser[r];

    /// <summary>Positions that carry a loss: every valid position except a user's first event, which has no context and
    /// which the protocol never scores.</summary>
    public long ScoredCount
    {
        get
        {
            long n = 0;
            for (int r = 0; r < Rows; r++)
            {
                n += Math.Max(0, Lengths[r] - (StartsUser(r) && Lengths[r] > 0 ? 1 : 0));
            }
            return n;
        }
    }

    /// <summary>Flat indices (row * Steps + position) of the scored positions, row by row.</summary>
    public long[] ScoredPositions()
    {
        var list = new long[ScoredCount];
        int k = 0;
        for (int r = 0; r < Rows; r++)
        {
            for (int p = StartsUser(r) ? 1 : 0; p < Lengths[r]; p++)
            {
                list[k++] = (long)r * Steps + p;
            }
        }
        return list;
    }

    /// <summary>The scored events this batch's loss is normalised by (<see cref="GroupEvents"/>, or its own count).</summary>
    public long StepEvents => GroupEvents > 0 ? GroupEvents : ScoredCount;

    /// <summary>Rows [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>) as a batch of their
    /// own, padded to the longest of them (at least one step), belonging to this batch's optimizer step: its loss is
    /// normalised by this batch's <see cref="StepEvents"/>, so the shares of a batch add up to the batch's gradient.</summary>
    public PaddedBatch RowRange(int from, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from + count, Rows);
        long longest = 1;
        for (int r = from; r < from + count; r++)
        {
            longest = Math.Max(longest, Lengths[r]);
        }
        int steps = (int)longest;
        var items = new long[count * steps];
        var events = new int[count * steps];
        float[]? starts = SessionStarts is null ? null : new float[count * steps];
        for (int r = 0; r < count; r++)
        {
            Array.Copy(Items, (from + r) * Steps, items, r * steps, steps);
            Array.Copy(Events, (from + r) * Steps, events, r * steps, steps);
            if (starts is not null)
            {
                Array.Copy(SessionStarts!, (from + r) * Steps, starts, r * steps, steps);
            }
        }
        return new PaddedBatch
        {
            Rows = count,
            Steps = steps,
            Items = items,
            Lengths = Lengths[from..(from + count)],
            Events = events,
            NewUser = NewUser?[from..(from + count)],
            SessionStarts = starts,
            Cells = Cells?[from..(from + count)],
            StepAfter = StepAfter,
            GroupEvents = StepEvents,
        };
    }
}

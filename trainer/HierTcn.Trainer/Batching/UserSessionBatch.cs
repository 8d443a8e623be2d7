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

    /// <summary>Lays out the sessions of a batch of users: <paramref name="users"/>[i] holds user i's sessions in order
    /// as global event ranges [Start, End) into <paramref name="eventItems"/>.</summary>
    public static UserSessionBatch Build(IReadOnlyList<(int Start, int End)[]> users, ReadOnlySpan<int> eventItems)
    {
        int b = users.Count;
        int maxSessions = Math.Max(1, users.Max(u => u.Length));
        // (cell, range, first) of every session, bucketed by the power of two that bounds its length.
        var buckets = new SortedDictionary<int, List<(long Cell, int Start, int End, bool First)>>();
        for (int i = 0; i < b; i++)
        {
            for (int k = 0; k < users[i].Length; k++)
            {
                var (start, end) = users[i][k];
                int len = end - start;
                int key = len <= 1 ? 1 : 1 << (32 - int.LeadingZeroCount(len - 1));
                if (!buckets.TryGetValue(key, out var list))
                {
                    buckets[key] = list = [];
                }
                list.Add(((long)i * maxSessions + k, start, end, k == 0));
            }
        }
        var gridRows = new long[(long)b * maxSessions];
        Array.Fill(gridRows, -1);
        var built = new List<PaddedBatch>(buckets.Count);
        long row = 0;
        foreach (var list in buckets.Values)
        {
            foreach (var session in list)
            {
                gridRows[session.Cell] = row++;
            }
            built.Add(BuildBucket(list, eventItems));
        }
        for (long c = 0; c < gridRows.Length; c++)
        {
            gridRows[c] = gridRows[c] < 0 ? row : gridRows[c];
        }
        return new UserSessionBatch { Users = b, MaxSessions = maxSessions, Buckets = [.. built], GridRows = gridRows };
    }

    private static PaddedBatch BuildBucket(List<(long Cell, int Start, int End, bool First)> rows, ReadOnlySpan<int> eventItems)
    {
        int n = rows.Count;
        int steps = rows.Max(r => r.End - r.Start);
        var items = new long[n * steps];
        var events = new int[n * steps];
        Array.Fill(events, -1);
        var lengths = new long[n];
        var newUser = new bool[n];
        var cells = new long[n];
        for (int i = 0; i < n; i++)
        {
            var (cell, start, end, first) = rows[i];
            for (int e = start; e < end; e++)
            {
                items[i * steps + e - start] = eventItems[e];
                events[i * steps + e - start] = e;
            }
            lengths[i] = end - start;
            newUser[i] = first;
            cells[i] = cell;
        }
        return new PaddedBatch { Rows = n, Steps = steps, Items = items, Lengths = lengths, Events = events, NewUser = newUser, Cells = cells };
    }
}

using HierTcn.Data.Dataset;
using HierTcn.Trainer.Batching.Internal;

namespace HierTcn.Trainer.Batching;

/// <summary>
/// Whole-user batches for hierarchical models (<c>--batching users</c>): users sorted by session count (ties in a
/// seeded random order) and cut into batches of B, a last batch of fewer than B/2 users joined to the one before,
/// batch order shuffled. Every session of a batch's users is in the batch, so the high level is back-propagated
/// through all of a user's sessions; the sessions go into buckets by length (1, 2, 3-4, 5-8, ...) for the low level.
/// Produced on a background thread behind a bounded channel.
/// </summary>
public sealed class UserSessionBatcher
{
    private readonly PreparedDataset _data;
    private readonly UserSessions _sessions;
    private readonly int _batchSize;
    private readonly int _capacity;

    public UserSessionBatcher(PreparedDataset data, UserSessions sessions, int batchSize, int capacity = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _data = data;
        _sessions = sessions;
        _batchSize = batchSize;
        _capacity = capacity;
    }

    /// <summary>One epoch's batches, produced on a background thread. Dispose the result to stop early.</summary>
    public IEnumerable<UserSessionBatch> Epoch(int seed)
    {
        var producer = new BatchProducer<UserSessionBatch>((emit, token) => Produce(seed, emit, token), _capacity);
        using (producer)
        {
            foreach (var b in producer)
            {
                yield return b;
            }
        }
    }

    /// <summary>The same batches, built on the calling thread.</summary>
    public List<UserSessionBatch> EpochSynchronous(int seed)
    {
        var list = new List<UserSessionBatch>();
        Produce(seed, list.Add, CancellationToken.None);
        return list;
    }

    private int Produce(int seed, Action<UserSessionBatch> emit, CancellationToken token)
    {
        var plan = Plan(seed);
        foreach (int[] users in plan)
        {
            token.ThrowIfCancellationRequested();
            emit(Build(users));
        }
        return plan.Count;
    }

    /// <summary>The epoch's batches as user indices (into <see cref="UserSessions.Users"/>).</summary>
    internal List<int[]> Plan(int seed)
    {
        int[] order = SessionQueueBatcher.Shuffled(_sessions.Users.Length, seed);
        int[] sorted = [.. order.OrderBy(u => _sessions.UserOffsets[u + 1] - _sessions.UserOffsets[u])];
        var batches = new List<int[]>();
        for (int first = 0; first < sorted.Length; first += _batchSize)
        {
            batches.Add(sorted[first..Math.Min(sorted.Length, first + _batchSize)]);
        }
        if (batches.Count > 1 && batches[^1].Length * 2 < _batchSize)
        {
            batches[^2] = [.. batches[^2], .. batches[^1]];
            batches.RemoveAt(batches.Count - 1);
        }
        new Random(seed ^ 0x2545f491).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }

    /// <summary>One batch of the given users, in that order.</summary>
    internal UserSessionBatch Build(int[] users)
    {
        int b = users.Length;
        int maxSessions = users.Max(u => _sessions.UserOffsets[u + 1] - _sessions.UserOffsets[u]);
        // (cell, session, first) of every session, bucketed by the power of two that bounds its length.
        var buckets = new SortedDictionary<int, List<(long Cell, int Session, bool First)>>();
        for (int i = 0; i < b; i++)
        {
            int s0 = _sessions.UserOffsets[users[i]];
            for (int s = s0; s < _sessions.UserOffsets[users[i] + 1]; s++)
            {
                int len = _sessions.SessionEnd[s] - _sessions.SessionStart[s];
                int key = len <= 1 ? 1 : 1 << (32 - int.LeadingZeroCount(len - 1));
                if (!buckets.TryGetValue(key, out var list))
                {
                    buckets[key] = list = [];
                }
                list.Add(((long)i * maxSessions + s - s0, s, s == s0));
            }
        }
        var gridRows = new long[(long)b * maxSessions];
        var built = new List<PaddedBatch>(buckets.Count);
        long row = 0;
        foreach (var list in buckets.Values)
        {
            foreach (var (cell, _, _) in list)
            {
                gridRows[cell] = row++ + 1;                      // + 1: 0 marks an empty cell until the end
            }
            built.Add(BuildBucket(list));
        }
        for (long c = 0; c < gridRows.Length; c++)
        {
            gridRows[c] = gridRows[c] == 0 ? row : gridRows[c] - 1;
        }
        return new UserSessionBatch { Users = b, MaxSessions = maxSessions, Buckets = [.. built], GridRows = gridRows };
    }

    private PaddedBatch BuildBucket(List<(long Cell, int Session, bool First)> rows)
    {
        int n = rows.Count;
        int steps = rows.Max(r => _sessions.SessionEnd[r.Session] - _sessions.SessionStart[r.Session]);
        var items = new long[n * steps];
        var events = new int[n * steps];
        Array.Fill(events, -1);
        var lengths = new long[n];
        var newUser = new bool[n];
        var cells = new long[n];
        var eventItems = _data.EventItems;
        for (int i = 0; i < n; i++)
        {
            int start = _sessions.SessionStart[rows[i].Session];
            int end = _sessions.SessionEnd[rows[i].Session];
            for (int e = start; e < end; e++)
            {
                items[i * steps + e - start] = eventItems[e];
                events[i * steps + e - start] = e;
            }
            lengths[i] = end - start;
            newUser[i] = rows[i].First;
            cells[i] = rows[i].Cell;
        }
        return new PaddedBatch { Rows = n, Steps = steps, Items = items, Lengths = lengths, Events = events, NewUser = newUser, Cells = cells };
    }
}

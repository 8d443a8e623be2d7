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
    internal List<int[]> Plan(int seed) => LengthSortedBatches.Plan(_sessions.Users.Length,
        u => _sessions.UserOffsets[u + 1] - _sessions.UserOffsets[u], _batchSize, seed, 0x2545f491);

    /// <summary>One batch of the given users, in that order.</summary>
    internal UserSessionBatch Build(int[] users)
    {
        var ranges = new (int Start, int End)[users.Length][];
        for (int i = 0; i < users.Length; i++)
        {
            int s0 = _sessions.UserOffsets[users[i]];
            int s1 = _sessions.UserOffsets[users[i] + 1];
            ranges[i] = new (int, int)[s1 - s0];
            for (int s = s0; s < s1; s++)
            {
                ranges[i][s - s0] = (_sessions.SessionStart[s], _sessions.SessionEnd[s]);
            }
        }
        return UserSessionBatch.Build(ranges, _data.EventItems);
    }
}

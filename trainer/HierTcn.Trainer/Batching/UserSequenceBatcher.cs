using HierTcn.Data.Dataset;
using HierTcn.Trainer.Batching.Internal;

namespace HierTcn.Trainer.Batching;

/// <summary>Padded batches of whole user sequences for the single-level models. Users are sorted by length (ties in a
/// random order), cut into batches of B and the batches shuffled, so a batch pads little; a last batch of fewer than
/// B/2 users joins the one before it. Each row is a user's events of the split (sessions concatenated, with a
/// session-start flag per event), padded to the batch's longest user. Produced on a background thread behind a bounded
/// channel.</summary>
public sealed class UserSequenceBatcher
{
    private readonly PreparedDataset _data;
    private readonly UserSessions _sessions;
    private readonly int _batchSize;
    private readonly int _capacity;

    public UserSequenceBatcher(PreparedDataset data, UserSessions sessions, int batchSize, int capacity = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _data = data;
        _sessions = sessions;
        _batchSize = batchSize;
        _capacity = capacity;
    }

    public IEnumerable<PaddedBatch> Epoch(int seed)
    {
        var producer = new BatchProducer<PaddedBatch>((emit, token) => Produce(seed, emit, token), _capacity);
        using (producer)
        {
            foreach (var b in producer)
            {
                yield return b;
            }
        }
    }

    public List<PaddedBatch> EpochSynchronous(int seed)
    {
        var list = new List<PaddedBatch>();
        Produce(seed, list.Add, CancellationToken.None);
        return list;
    }

    internal int Produce(int seed, Action<PaddedBatch> emit, CancellationToken token)
    {
        var batches = Plan(seed);
        foreach (int[] users in batches)
        {
            token.ThrowIfCancellationRequested();
            emit(Build(users));
        }
        return batches.Count;
    }

    /// <summary>The epoch's batches as user indices: sorted by length with a seeded random tie order, cut into B,
    /// a short last cut merged into the one before, batch order shuffled.</summary>
    internal List<int[]> Plan(int seed) => LengthSortedBatches.Plan(_sessions.Users.Length, UserLength, _batchSize, seed, 0x5bd1e995);

    private long UserLength(int u)
    {
        long n = 0;
        for (int s = _sessions.UserOffsets[u]; s < _sessions.UserOffsets[u + 1]; s++)
        {
            n += _sessions.SessionEnd[s] - _sessions.SessionStart[s];
        }
        return n;
    }

    /// <summary>One batch of the given users (indices into <see cref="UserSessions.Users"/>), in that order.</summary>
    internal PaddedBatch Build(int[] users)
    {
        int b = users.Length;
        var lengths = new long[b];
        for (int i = 0; i < b; i++)
        {
            for (int s = _sessions.UserOffsets[users[i]]; s < _sessions.UserOffsets[users[i] + 1]; s++)
            {
                lengths[i] += _sessions.SessionEnd[s] - _sessions.SessionStart[s];
            }
        }
        int steps = (int)lengths.Max();
        var items = new long[b * steps];
        var events = new int[b * steps];
        var starts = new float[b * steps];
        Array.Fill(events, -1);
        var eventItems = _data.EventItems;
        for (int i = 0; i < b; i++)
        {
            int pos = i * steps;
            for (int s = _sessions.UserOffsets[users[i]]; s < _sessions.UserOffsets[users[i] + 1]; s++)
            {
                starts[pos] = 1;
                for (int e = _sessions.SessionStart[s]; e < _sessions.SessionEnd[s]; e++, pos++)
                {
                    items[pos] = eventItems[e];
                    events[pos] = e;
                }
            }
        }
        return new PaddedBatch { Rows = b, Steps = steps, Items = items, Lengths = lengths, Events = events, SessionStarts = starts };
    }
}

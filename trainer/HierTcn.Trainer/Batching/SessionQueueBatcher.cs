using HierTcn.Data.Dataset;
using HierTcn.Trainer.Batching.Internal;

namespace HierTcn.Trainer.Batching;

/// <summary>
/// The paper's queue-based mini-batch generator for hierarchical models (section 3.6.2). There are B queues of
/// sessions. A producer reads users in a shuffled order and appends all of a user's sessions, in order, to the queue
/// holding the fewest sessions, until no queue is empty. Each step then takes the front session of every queue, one
/// per row, padded to the longest; a row whose session is its user's first is marked so the high-level state restarts
/// there, and every other row carries its state over from the previous step. Rows whose queue ran dry at the end of
/// the epoch get length 0; those last batches are grouped into optimizer steps of at least half a full batch's events
/// (<see cref="PaddedBatch.StepAfter"/>), so the epoch does not end on a trickle of one-event steps. The producer runs on its own thread behind a bounded channel.
/// </summary>
public sealed class SessionQueueBatcher
{
    private readonly PreparedDataset _data;
    private readonly UserSessions _sessions;
    private readonly int _batchSize;
    private readonly int _capacity;

    /// <param name="capacity">Batches the channel holds ahead of the training loop; default 8.</param>
    public SessionQueueBatcher(PreparedDataset data, UserSessions sessions, int batchSize, int capacity = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _data = data;
        _sessions = sessions;
        _batchSize = batchSize;
        _capacity = capacity;
    }

    /// <summary>One epoch's batches, produced on a background thread. Dispose the result to stop early.</summary>
    public IEnumerable<PaddedBatch> Epoch(int seed)
    {
        var producer = new BatchProducer<PaddedBatch>((emit, token) => Produce(Shuffled(_sessions.Users.Length, seed), emit, token), _capacity);
        using (producer)
        {
            foreach (var b in producer)
            {
                yield return b;
            }
        }
    }

    /// <summary>The same batches, built on the calling thread (tests, deterministic tools).</summary>
    public List<PaddedBatch> EpochSynchronous(int seed)
    {
        var list = new List<PaddedBatch>();
        Produce(Shuffled(_sessions.Users.Length, seed), list.Add, CancellationToken.None);
        return list;
    }

    /// <summary>Builds the epoch's batches reading users in <paramref name="order"/> (indices into
    /// <see cref="UserSessions.Users"/>); returns the number of batches.</summary>
    /// <remarks>Once every user has been read, the queues drain unevenly and the last batches hold fewer and fewer
    /// rows. Those tail batches are planned together and grouped (<see cref="PaddedBatch.StepAfter"/>) so that each
    /// optimizer step trains on at least half the scored events of a full batch; every session is still used once.</remarks>
    internal int Produce(int[] order, Action<PaddedBatch> emit, CancellationToken token)
    {
        int b = _batchSize;
        var queues = new Queue<(int Session, bool First)>[b];
        for (int i = 0; i < b; i++)
        {
            queues[i] = new Queue<(int, bool)>();
        }
        int next = 0;
        int steps = 0;
        long fullEvents = 0;
        int fullBatches = 0;
        while (true)
        {
            token.ThrowIfCancellationRequested();
            while (next < order.Length && queues.Any(q => q.Count == 0))
            {
                int user = order[next++];
                int target = 0;
                for (int i = 1; i < b; i++)
                {
                    if (queues[i].Count < queues[target].Count)
                    {
                        target = i;
                    }
                }
                for (int s = _sessions.UserOffsets[user]; s < _sessions.UserOffsets[user + 1]; s++)
                {
                    queues[target].Enqueue((s, s == _sessions.UserOffsets[user]));
                }
            }
            if (next >= order.Length)
            {
                return steps + EmitTail(queues, fullBatches > 0 ? fullEvents / fullBatches : 0, emit, token);
            }
            var batch = Build(TakeRows(queues));
            fullEvents += batch.ScoredCount;
            fullBatches++;
            emit(batch);
            steps++;
        }
    }

    /// <summary>Drains the queues (no users left to read) into batches grouped into optimizer steps of at least half
    /// of <paramref name="nominal"/> scored events (the mean of a full batch; 0 when there was none: the largest
    /// tail batch stands in).</summary>
    private int EmitTail(Queue<(int Session, bool First)>[] queues, long nominal, Action<PaddedBatch> emit, CancellationToken token)
    {
        var plan = new List<(int Session, bool First)[]>();
        var counts = new List<long>();
        while (queues.Any(q => q.Count > 0))
        {
            var rows = TakeRows(queues);
            plan.Add(rows);
            long scored = 0;
            foreach (var (session, first) in rows)
            {
                if (session >= 0)
                {
                    scored += _sessions.SessionEnd[session] - _sessions.SessionStart[session] - (first ? 1 : 0);
                }
            }
            counts.Add(scored);
        }
        if (nominal == 0)
        {
            nominal = counts.Count > 0 ? counts.Max() : 0;
        }
        var groups = StepGroups.Assign(counts, Math.Max(1, nominal / 2));
        for (int i = 0; i < plan.Count; i++)
        {
            token.ThrowIfCancellationRequested();
            emit(Build(plan[i], groups[i].StepAfter, groups[i].GroupEvents));
        }
        return plan.Count;
    }

    /// <summary>The front session of every queue, (-1, false) where a queue is empty.</summary>
    private static (int Session, bool First)[] TakeRows(Queue<(int Session, bool First)>[] queues)
    {
        var rows = new (int Session, bool First)[queues.Length];
        for (int i = 0; i < queues.Length; i++)
        {
            rows[i] = queues[i].Count > 0 ? queues[i].Dequeue() : (-1, false);
        }
        return rows;
    }

    private PaddedBatch Build((int Session, bool First)[] rows, bool stepAfter = true, long groupEvents = 0)
    {
        int b = rows.Length;
        int steps = 0;
        foreach (var (session, _) in rows)
        {
            if (session >= 0)
            {
                steps = Math.Max(steps, _sessions.SessionEnd[session] - _sessions.SessionStart[session]);
            }
        }
        var items = new long[b * steps];
        var events = new int[b * steps];
        Array.Fill(events, -1);
        var lengths = new long[b];
        var newUser = new bool[b];
        var eventItems = _data.EventItems;
        for (int i = 0; i < b; i++)
        {
            if (rows[i].Session < 0)
            {
                continue;
            }
            int start = _sessions.SessionStart[rows[i].Session];
            int end = _sessions.SessionEnd[rows[i].Session];
            for (int e = start; e < end; e++)
            {
                items[i * steps + e - start] = eventItems[e];
                events[i * steps + e - start] = e;
            }
            lengths[i] = end - start;
            newUser[i] = rows[i].First;
        }
        return new PaddedBatch
        {
            Rows = b,
            Steps = steps,
            Items = items,
            Lengths = lengths,
            Events = events,
            NewUser = newUser,
            StepAfter = stepAfter,
            GroupEvents = groupEvents,
        };
    }

    internal static int[] Shuffled(int n, int seed)
    {
        int[] order = [.. Enumerable.Range(0, n)];
        new Random(seed).Shuffle(order);
        return order;
    }
}

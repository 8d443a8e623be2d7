using HierTcn.Data.Dataset;
using HierTcn.Trainer.Batching;
using HierTcn.Trainer.Models;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Tests;

public sealed class BatchingTests
{
    static BatchingTests() => TorchRuntime.SetThreads(2);

    // Users A (3 sessions), B (1), C (1), D (2); items name the user (A = 10s, B = 20s, ...) and the session.
    private static readonly List<int[][]> s_users =
    [
        [[10, 11], [12], [13, 14, 15]],
        [[20, 21, 22]],
        [[30]],
        [[40, 41], [42, 43, 44, 45]],
    ];

    [Fact]
    public void Produce_HandWorkedExample_FillsFewestQueueAndMarksNewUsers()
    {
        using var dir = new TempDir();
        using var data = SyntheticData.Write(dir.Path, s_users, 50);
        var sessions = UserSessions.Read(data, DataSplit.Train);
        var batcher = new SessionQueueBatcher(data, sessions, 2);
        var batches = new List<PaddedBatch>();
        batcher.Produce([0, 1, 2, 3], batches.Add, CancellationToken.None);
        // Step 0: A -> q0, B -> q1. Step 1: q1 empty, C -> q1. Step 2: q1 empty, D -> q1. Step 3: q0 dry.
        string[] expected = ["10 11 | 20 21 22", "12 | 30", "13 14 15 | 40 41", "- | 42 43 44 45"];
        Assert.Equal(expected, batches.Select(Describe));
        Assert.Equal([true, true], batches[0].NewUser!);
        Assert.Equal([false, true], batches[1].NewUser!);
        Assert.Equal([false, true], batches[2].NewUser!);
        Assert.Equal([false, false], batches[3].NewUser!);
        Assert.Equal([3, 1, 3, 4], batches.Select(b => b.Steps));
        Assert.Equal([0L, 4], batches[3].Lengths);
    }

    [Fact]
    public void RowRange_HandWorkedBatch_TrimsToItsLongestRowAndKeepsTheStepsEventCount()
    {
        using var dir = new TempDir();
        using var data = SyntheticData.Write(dir.Path, s_users, 50);
        var sessions = UserSessions.Read(data, DataSplit.Train);
        var batches = new List<PaddedBatch>();
        new SessionQueueBatcher(data, sessions, 2).Produce([0, 1, 2, 3], batches.Add, CancellationToken.None);
        var whole = batches[2]; // "13 14 15 | 40 41": A's third session, D's first
        var first = whole.RowRange(0, 1);
        var second = whole.RowRange(1, 1);
        Assert.Equal(["13 14 15", "40 41"], new[] { Describe(first), Describe(second) });
        Assert.Equal((3, 2), (first.Steps, second.Steps));
        Assert.Equal([false], first.NewUser!);
        Assert.Equal([true], second.NewUser!);
        // The shares' scored positions are the whole batch's, and each is normalised by the whole batch's count.
        Assert.Equal(whole.ScoredCount, first.ScoredCount + second.ScoredCount);
        Assert.All(new[] { first, second }, p => Assert.Equal(whole.StepEvents, p.StepEvents));
        int[] Scored(PaddedBatch b) => [.. b.ScoredPositions().Select(p => b.Events[p])];
        Assert.Equal(Scored(whole), Scored(first).Concat(Scored(second)));
        // A share whose rows hold nothing this step still has one (padded) step.
        var dry = batches[3].RowRange(0, 1);
        Assert.Equal((1, 0L, -1), (dry.Steps, dry.Lengths[0], dry.Events[0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => whole.RowRange(1, 2));
    }

    private static string Describe(PaddedBatch b) => string.Join(" | ", Enumerable.Range(0, b.Rows).Select(r =>
        b.Lengths[r] == 0 ? "-" : string.Join(' ', b.Items.Skip(r * b.Steps).Take((int)b.Lengths[r]))));

    [Fact]
    public void Epoch_RandomUsers_EverySessionOnceInOrderOnOneRow()
    {
        using var dir = new TempDir();
        var users = SyntheticData.Walks(37, 30, seed: 4);
        using var data = SyntheticData.Write(dir.Path, users, 30, u => u % 5 == 0 ? DataSplit.Test : DataSplit.Train);
        var sessions = UserSessions.Read(data, DataSplit.Train);
        var batcher = new SessionQueueBatcher(data, sessions, 4);
        var batches = batcher.Epoch(seed: 9).ToList();
        Assert.Equal(batcher.EpochSynchronous(9).Select(Describe), batches.Select(Describe)); // the thread changes nothing

        var seen = new List<int>();                            // first event of each session, in the order read
        var rowOfUser = new Dictionary<int, int>();
        var lastStepOfUser = new Dictionary<int, int>();
        var userOfEvent = new int[data.EventCount];
        for (int u = 0; u < data.UserCount; u++)
        {
            var (a, b) = data.UserEvents(u);
            for (int e = a; e < b; e++)
            {
                userOfEvent[e] = u;
            }
        }
        for (int step = 0; step < batches.Count; step++)
        {
            var batch = batches[step];
            Assert.Equal(batch.Lengths.Max(), batch.Steps);
            for (int r = 0; r < batch.Rows; r++)
            {
                int len = (int)batch.Lengths[r];
                for (int p = 0; p < batch.Steps; p++)
                {
                    int e = batch.Events[r * batch.Steps + p];
                    Assert.Equal(p < len, e >= 0);
                    if (e >= 0)
                    {
                        Assert.Equal(data.EventItems[e], batch.Items[r * batch.Steps + p]);
                    }
                }
                if (len == 0)
                {
                    continue;
                }
                int first = batch.Events[r * batch.Steps];
                int user = userOfEvent[first];
                seen.Add(first);
                bool isNew = !rowOfUser.ContainsKey(user);
                Assert.Equal(isNew, batch.NewUser![r]);
                if (!isNew)
                {
                    Assert.Equal(rowOfUser[user], r);                       // a user's sessions stay on one row
                    Assert.Equal(lastStepOfUser[user] + 1, step);           // ... on consecutive steps
                }
                rowOfUser[user] = r;
                lastStepOfUser[user] = step;
            }
        }
        // Every training session exactly once, each user's in order; test users never appear.
        Assert.Equal(sessions.SessionStart.Order(), seen.Order());
        Assert.Equal(sessions.SessionCount, seen.Distinct().Count());
        Assert.DoesNotContain(seen, e => data.EventSplit[e] != (byte)DataSplit.Train);
        // Filling the queue with the fewest sessions keeps the epoch close to total / B steps.
        int maxUserSessions = users.Max(u => u.Length);
        Assert.InRange(batches.Count, (sessions.SessionCount + 3) / 4, (sessions.SessionCount + 3) / 4 + maxUserSessions);
    }

    [Fact]
    public void Epoch_CarriedStateThroughQueues_EqualsEachUserRunAlone()
    {
        TorchRuntime.Seed(2);
        using var dir = new TempDir();
        var users = SyntheticData.Walks(9, 30, seed: 1);
        using var data = SyntheticData.Write(dir.Path, users, 30);
        var sessions = UserSessions.Read(data, DataSplit.Train);
        var options = new ModelOptions { ItemDim = 8, HighLayers = 2, HighHidden = 6, TcnBlocks = 2, TcnChannels = 5, TcnKernel = 3 };
        using var model = new HierTcnModel(options, ItemSource.Ids(30));
        model.eval();
        using var _ = no_grad();

        var batched = Run(model, new SessionQueueBatcher(data, sessions, 3).EpochSynchronous(5));
        var alone = Run(model, new SessionQueueBatcher(data, sessions, 1).EpochSynchronous(5));
        Assert.Equal(data.EventCount, batched.Count);
        foreach (var (evt, u) in alone)
        {
            Assert.True(u.allclose(batched[evt], rtol: 1e-4, atol: 1e-5), $"event {evt}: batched output differs from the user alone");
        }
    }

    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    public void UserSessionBatcher_ForwardUsers_EqualsSessionBySessionSteps(ModelKind kind)
    {
        TorchRuntime.Seed(3);
        using var dir = new TempDir();
        var users = SyntheticData.Walks(23, 30, seed: 6);
        using var data = SyntheticData.Write(dir.Path, users, 30);
        var sessions = UserSessions.Read(data, DataSplit.Train);
        var options = new ModelOptions { Kind = kind, ItemDim = 8, HighLayers = 2, HighHidden = 6, LowLayers = 2, LowHidden = 7, TcnBlocks = 2, TcnChannels = 5, TcnKernel = 3 };
        using var model = (HierarchicalModel)ModelFactory.Create(options, ItemSource.Ids(30));
        model.eval();
        using var _ = no_grad();

        var alone = Run(model, new SessionQueueBatcher(data, sessions, 1).EpochSynchronous(5));
        var batches = new UserSessionBatcher(data, sessions, 4).EpochSynchronous(seed: 7);
        Assert.Equal([3, 4, 4, 4, 4, 4], batches.Select(b => b.Users).Order());           // 23 users; 3 >= 4 / 2 stay alone
        var seen = new HashSet<int>();
        foreach (var batch in batches)
        {
            Assert.All(batch.Buckets, b => Assert.Equal(b.Lengths.Max(), b.Steps));
            Assert.True(batch.Buckets.All(b => b.Lengths.Min() * 2 > b.Steps || b.Steps == 1), "a bucket pads more than 2x");
            var items = batch.Buckets.Select(b => tensor(b.Items, [b.Rows, b.Steps])).ToList();
            var lengths = batch.Buckets.Select(b => tensor(b.Lengths)).ToList();
            Tensor[] u = model.ForwardUsers(batch, items, lengths);
            for (int i = 0; i < u.Length; i++)
            {
                var b = batch.Buckets[i];
                for (int r = 0; r < b.Rows; r++)
                {
                    for (int p = 0; p < b.Lengths[r]; p++)
                    {
                        int evt = b.Events[r * b.Steps + p];
                        Assert.True(seen.Add(evt));
                        Assert.True(u[i][r, p].allclose(alone[evt], rtol: 1e-4, atol: 1e-5), $"event {evt}: the whole-user pass differs from Step");
                    }
                }
            }
        }
        Assert.Equal(data.EventCount, seen.Count);
    }

    /// <summary>u for every event, carrying the state from step to step as training does.</summary>
    private static Dictionary<int, Tensor> Run(HierarchicalModel model, List<PaddedBatch> batches)
    {
        var result = new Dictionary<int, Tensor>();
        var state = model.InitialState(batches[0].Rows);
        foreach (var b in batches)
        {
            var (u, next) = model.Step(state, tensor(b.Items, [b.Rows, b.Steps]), tensor(b.Lengths), tensor(b.NewUser!));
            state.Dispose();
            state = next;
            for (int r = 0; r < b.Rows; r++)
            {
                for (int p = 0; p < b.Lengths[r]; p++)
                {
                    result[b.Events[r * b.Steps + p]] = u[r, p].clone();
                }
            }
        }
        state.Dispose();
        return result;
    }

    [Fact]
    public void UserSequenceBatcher_Epoch_PadsWholeUsersWithSessionFlags()
    {
        using var dir = new TempDir();
        using var data = SyntheticData.Write(dir.Path, s_users, 50);
        var sessions = UserSessions.Read(data, DataSplit.Train);
        var batches = new UserSequenceBatcher(data, sessions, 3).Epoch(seed: 1).ToList();
        Assert.Equal([4], batches.Select(b => b.Rows));      // a last batch of 1 (< 3/2) joins the first
        var all = batches.SelectMany(b => Enumerable.Range(0, b.Rows).Select(r =>
            string.Join(' ', Enumerable.Range(0, (int)b.Lengths[r]).Select(p =>
                (b.SessionStarts![r * b.Steps + p] == 1 ? "/" : "") + b.Items[r * b.Steps + p])))).Order().ToList();
        Assert.Equal(["/10 11 /12 /13 14 15", "/20 21 22", "/30", "/40 41 /42 43 44 45"], all);
        Assert.All(batches, b => Assert.Equal(b.Lengths.Max(), b.Steps));
    }

    [Fact]
    public void StepGroups_HandWorked_ShortBatchesJoinTheNextAndAShortTailTheOneBefore()
    {
        // minimum 10: [12] steps alone; 3 + 4 + 5 = 12 step together; the last 2 cannot reach 10 and joins [6, 9].
        var groups = Batching.Internal.StepGroups.Assign([12, 3, 4, 5, 6, 9, 2], 10);
        Assert.Equal([true, false, false, true, false, false, true], groups.Select(g => g.StepAfter));
        Assert.Equal([12L, 12, 12, 12, 17, 17, 17], groups.Select(g => g.GroupEvents));
        Assert.Equal([(true, 4L)], Batching.Internal.StepGroups.Assign([4], 10));
    }

    [Theory]
    [InlineData(4, 9)]
    [InlineData(8, 3)]
    [InlineData(16, 21)]
    public void Epoch_Tail_NoOptimizerStepOnASliverAndEveryEventOnce(int batchSize, int seed)
    {
        using var dir = new TempDir();
        var users = SyntheticData.Walks(120, 30, seed: seed);
        using var data = SyntheticData.Write(dir.Path, users, 30);
        var sessions = UserSessions.Read(data, DataSplit.Train);
        var batches = new SessionQueueBatcher(data, sessions, batchSize).EpochSynchronous(seed);

        // Every training event exactly once an epoch.
        var events = batches.SelectMany(b => b.Events.Where(e => e >= 0)).Order().ToList();
        Assert.Equal(Enumerable.Range(0, data.EventCount).Where(e => data.EventSplit[e] == (byte)DataSplit.Train), events);

        // Group the batches into optimizer steps; each step's events match its batches' scored events.
        var full = batches.Where(b => b.Lengths.All(l => l > 0)).ToList();
        Assert.NotEmpty(full);
        double nominal = full.Average(b => (double)b.ScoredCount);
        long group = 0;
        int stepCount = 0;
        foreach (var b in batches)
        {
            group += b.ScoredCount;
            if (b.StepAfter)
            {
                Assert.Equal(group, b.StepEvents);
                Assert.True(group >= Math.Floor(nominal) / 2 - 1, $"an optimizer step trains on {group} events (full batches: {nominal:F1})");
                group = 0;
                stepCount++;
            }
        }
        Assert.True(batches[^1].StepAfter);
        Assert.True(stepCount < batches.Count, "the tail batches were not grouped");
    }

    [Fact]
    public void ScoredPositions_SkipOnlyEachUsersFirstEvent()
    {
        using var dir = new TempDir();
        using var data = SyntheticData.Write(dir.Path, s_users, 50);
        var sessions = UserSessions.Read(data, DataSplit.Train);
        var batches = new List<PaddedBatch>();
        new SessionQueueBatcher(data, sessions, 2).Produce([0, 1, 2, 3], batches.Add, CancellationToken.None);
        // "10 11 | 20 21 22": both rows start users -> 11, 21, 22. "12 | 30": only C starts -> 12.
        // "13 14 15 | 40 41": D starts -> 13 14 15 41. "- | 42 43 44 45": all four.
        string Scored(PaddedBatch b) => string.Join(' ', b.ScoredPositions().Select(p => b.Items[p]));
        Assert.Equal(["11 21 22", "12", "13 14 15 41", "42 43 44 45"], batches.Select(Scored));
        Assert.Equal(data.EventCount - s_users.Count, batches.Sum(b => b.ScoredCount));

        var flat = new UserSequenceBatcher(data, sessions, 4).EpochSynchronous(seed: 1);
        Assert.Equal(data.EventCount - s_users.Count, flat.Sum(b => b.ScoredCount));
        Assert.All(flat, b => Assert.DoesNotContain(b.ScoredPositions(), p => p % b.Steps == 0));
    }

    [Fact]
    public void UserSequenceBatcher_Plan_GroupsUsersByLengthAndMergesAShortLastBatch()
    {
        using var dir = new TempDir();
        var users = SyntheticData.Walks(70, 30, seed: 2);
        using var data = SyntheticData.Write(dir.Path, users, 30);
        var sessions = UserSessions.Read(data, DataSplit.Train);
        var batcher = new UserSequenceBatcher(data, sessions, 16);
        var plan = batcher.Plan(seed: 5);
        // 70 users: 4 batches of 16 and 6 left over (< 8) joined to the longest batch.
        Assert.Equal([16, 16, 16, 22], plan.Select(b => b.Length).Order());
        Assert.Equal(Enumerable.Range(0, sessions.Users.Length), plan.SelectMany(b => b).Order());
        long Length(int u) => Enumerable.Range(sessions.UserOffsets[u], sessions.UserOffsets[u + 1] - sessions.UserOffsets[u])
            .Sum(s => (long)(sessions.SessionEnd[s] - sessions.SessionStart[s]));
        // Sorted by length: batches do not overlap in length, so padding is far below a shuffled order's.
        var ranges = plan.Select(b => (Min: b.Min(Length), Max: b.Max(Length))).OrderBy(r => r.Min).ToList();
        for (int i = 1; i < ranges.Count; i++)
        {
            Assert.True(ranges[i - 1].Max <= ranges[i].Min);
        }
        Assert.NotEqual(plan.Select(b => b[0]), batcher.Plan(seed: 6).Select(b => b[0]));
    }
}

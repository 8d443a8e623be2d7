using HierTcn.Inference.V1;
using HierTcn.StateStore;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Events of one session delivered out of time order, with the user's embedding asked after each (so the
/// in-pod TCN cache holds an entry when an event is inserted before newer ones): every embedding equals the one the
/// same events give in time order, on the cached step graph, the uncached step graph and the full-window graph; and
/// backfill carries such a session, its event ids and its late bound to another version.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class OutOfOrderTests(ServedModelFixture model)
{
    private const float Tolerance = 1e-4f;

    [Fact]
    public async Task GetUserEmbedding_EventsInsertedOutOfOrder_EqualsInOrderOnEveryEmbeddingPath()
    {
        // x, y, z, z, w, x, v, z at one-second steps. Delivered as 0, 2, 3, 1, ...: when y arrives the state lists
        // x, y, z, z and the cache entry x, z, z; the item before the new one is the entry's last, but stepping from
        // the entry would embed x, z, z, z.
        long[] items = [.. new[] { 1, 2, 3, 3, 4, 1, 5, 3 }.Select(i => model.Data.ItemIds[i])];
        int[] delivery = [0, 2, 3, 1, 5, 4, 7, 6];
        // After these many deliveries the out-of-order user has exactly the first n events.
        int[] complete = [1, 4, 6, 8];
        var paths = new[]
        {
            new Dictionary<string, string?>(),
            new Dictionary<string, string?> { ["Recommender:StepCacheMegabytes"] = "0" },
            new Dictionary<string, string?> { ["Recommender:IncrementalEmbedding"] = "false" },
        };
        var reference = new float[items.Length][];
        for (int p = 0; p < paths.Length; p++)
        {
            await using var server = await TestServer.StartAsync(model, paths[p]);
            var c = server.Client;
            long t = T0 + 20_000;
            var inOrder = new float[items.Length][];
            for (int i = 0; i < items.Length; i++)
            {
                Assert.Equal(1, (await c.ObserveEventsAsync(Batch(Ev(31, items[i], T0 + i * 1000, $"e{i}")))).Applied);
                inOrder[i] = await c.EmbeddingAsync(31, t);
            }
            for (int n = 1; n <= delivery.Length; n++)
            {
                int i = delivery[n - 1];
                var summary = await c.ObserveEventsAsync(Batch(Ev(32, items[i], T0 + i * 1000, $"e{i}")));
                Assert.Equal((1, 0), (summary.Applied, summary.Late));
                var embedding = await c.EmbeddingAsync(32, t);
                if (complete.Contains(n))
                {
                    float diff = MaxAbsDiff(inOrder[n - 1], embedding);
                    Assert.True(diff <= 1e-6f, $"path {p}, {n} events delivered: {diff} from the in-order user");
                }
            }
            for (int i = 0; i < items.Length; i++)
            {
                if (p == 0)
                {
                    reference[i] = inOrder[i];
                }
                float diff = MaxAbsDiff(reference[i], inOrder[i]);
                Assert.True(diff <= Tolerance, $"path {p}, event {i}: {diff} from the cached step graph");
            }
            // Each event moves the embedding, so the comparisons above can fail.
            Assert.True(MaxAbsDiff(inOrder[2], inOrder[3]) > 1e-3);
        }
    }

    [Fact]
    public async Task BackfillAsync_SessionAppliedOutOfOrder_TargetHasItInTimeOrderWithItsIdsAndLateBound()
    {
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, "v1", "v2");
        long[] items = [.. new[] { 1, 2, 3 }.Select(i => model.Data.ItemIds[i])];
        ObservedEvent EventOf(long user, int i, string version) => new(user, items[i], T0 + i * 1000, $"e{i}", version);
        // A closed session first, then the open one delivered 0, 2, 1.
        await engine.ObserveAsync([new ObservedEvent(41, items[0], T0 - 3_600_000, "old", "v1")]);
        foreach (int i in new[] { 0, 2, 1 })
        {
            Assert.Equal(1, (await engine.ObserveAsync([EventOf(41, i, "v1")])).Applied);
        }

        Assert.Equal(new BackfillOutcome(ServeStatus.Ok, null, 1, 0, 0), await engine.BackfillAsync("v1", "v2", [41]));

        var source = (await store.GetAsync(new StateKey("v1", 41))).State!;
        var target = (await store.GetAsync(new StateKey("v2", 41))).State!;
        Assert.Equal(items, target.SessionItems);
        Assert.Equal([T0, T0 + 1000, T0 + 2000], target.SessionItemTimes);
        Assert.Equal((T0, T0 + 2000), (target.SessionStartMs, target.LastEventMs));
        Assert.Equal(source.SessionEventIds, target.SessionEventIds);
        Assert.Equal(source.SessionEventTimes, target.SessionEventTimes);
        Assert.Equal(source.LateBeforeMs, target.LateBeforeMs);
        // Exactly once across the move, the same late events, and the target's open session takes an insert.
        Assert.Equal(1, (await engine.ObserveAsync([EventOf(41, 1, "v2")])).Duplicates);
        Assert.Equal(1, (await engine.ObserveAsync([new ObservedEvent(41, items[1], T0 - 3_600_000 + 1000, "old2", "v2")])).Late);
        Assert.Equal(1, (await engine.ObserveAsync([new ObservedEvent(41, items[1], T0 + 500, "new", "v2")])).Applied);
        var moved = (await store.GetAsync(new StateKey("v2", 41))).State!;
        Assert.Equal([items[0], items[1], items[1], items[2]], moved.SessionItems);
    }

    [Fact]
    public async Task ObserveAsync_AfterAnEventStampedAheadWithinTheTolerance_RealEventsAreInsertedNotLate()
    {
        // Issue 13: one event stamped ahead made every real event of the user late until its time.
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(T0));
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, clock, "v1");
        long[] items = [.. new[] { 1, 2, 3 }.Select(i => model.Data.ItemIds[i])];
        Assert.Equal(1, (await engine.ObserveAsync([new ObservedEvent(51, items[2], T0 + 50_000, "ahead")])).Applied);
        clock.Now += TimeSpan.FromSeconds(2);

        var real = await engine.ObserveAsync([new ObservedEvent(51, items[0], T0 + 1000, "r1")]);
        Assert.Equal((1, 0), (real.Applied, real.Late));
        Assert.Equal(1, (await engine.ObserveAsync([new ObservedEvent(51, items[1], T0 + 2000, "r2")])).Applied);

        var state = (await store.GetAsync(new StateKey("v1", 51))).State!;
        Assert.Equal(items, state.SessionItems);
        Assert.Equal([T0 + 1000, T0 + 2000, T0 + 50_000], state.SessionItemTimes);
    }
}

using HierTcn.Formats;
using HierTcn.StateStore;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>The engine reads time only from its clock: the session gap for a request without a timestamp, the
/// future-skew limit and deadlines all follow a clock the test moves, with no waiting.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class ClockTests(ServedModelFixture model)
{
    private static readonly DateTime Far = DateTime.MaxValue;

    [Fact]
    public async Task GetUserEmbedding_ClockMovesPastSessionGap_RequestWithoutTimestampStartsNewSession()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(T0));
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, clock);
        const long user = 3;
        var observed = await engine.ObserveAsync([
            new ObservedEvent(user, model.Data.ItemIds[4], T0 - 120_000, "a"),
            new ObservedEvent(user, model.Data.ItemIds[5], T0 - 60_000, "b"),
        ]);
        Assert.Equal(2, observed.Applied);

        var inSession = await engine.GetUserEmbeddingAsync(user, null, 0, Far);
        Assert.Equal((await engine.GetUserEmbeddingAsync(user, null, T0, Far)).Embedding, inSession.Embedding);

        clock.Now += TimeSpan.FromMilliseconds(SessionRule.DefaultGapMs + 1);
        var after = await engine.GetUserEmbeddingAsync(user, null, 0, Far);
        long nowMs = T0 + SessionRule.DefaultGapMs + 1;
        Assert.Equal((await engine.GetUserEmbeddingAsync(user, null, nowMs, Far)).Embedding, after.Embedding);
        Assert.NotEqual(inSession.Embedding, after.Embedding);
    }

    [Fact]
    public async Task ObserveAsync_FutureSkew_JudgedAgainstEngineClock()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(T0));
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, clock);
        long ahead = T0 + engine.Options.MaxFutureSkewMs + 1;

        var refused = await engine.ObserveAsync([new ObservedEvent(1, model.Data.ItemIds[1], ahead, "x")]);
        Assert.Equal(ServeStatus.InvalidArgument, refused.Status);
        Assert.Contains("ahead of the server clock", refused.Error);

        clock.Now += TimeSpan.FromMilliseconds(2);
        Assert.Equal(ServeStatus.Ok, (await engine.ObserveAsync([new ObservedEvent(1, model.Data.ItemIds[1], ahead, "x")])).Status);
    }

    [Fact]
    public async Task ObserveAsync_TwoMinutesAheadByDefault_RefusedAndNothingApplied()
    {
        // The default tolerance is small: one event stamped minutes ahead would shift the user's session boundaries.
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(T0));
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, clock);

        var refused = await engine.ObserveAsync([
            new ObservedEvent(2, model.Data.ItemIds[1], T0 - 1000, "real"),
            new ObservedEvent(2, model.Data.ItemIds[2], T0 + 120_000, "ahead"),
        ]);

        Assert.Equal(ServeStatus.InvalidArgument, refused.Status);
        Assert.Contains("ahead of the server clock", refused.Error);
        Assert.False(store.Contains(new StateKey("v1", 2)));
        var later = await engine.ObserveAsync([new ObservedEvent(2, model.Data.ItemIds[1], T0 + 30_000, "skewed")]);
        Assert.Equal(1, later.Applied);
    }

    [Fact]
    public async Task ObserveAsync_OneEventAnHourAhead_RefusedAndTheUsersRealEventsAreNotLate()
    {
        // Issue 13: an event stamped an hour ahead, had it been applied, made every real event of that hour late.
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(T0));
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, clock);
        long[] items = [.. new[] { 1, 2, 3 }.Select(i => model.Data.ItemIds[i])];
        Assert.Equal(1, (await engine.ObserveAsync([new ObservedEvent(3, items[0], T0 - 5000, "before")])).Applied);

        var ahead = await engine.ObserveAsync([new ObservedEvent(3, items[1], T0 + 3_600_000, "an-hour-ahead")]);

        Assert.Equal(ServeStatus.InvalidArgument, ahead.Status);
        Assert.Contains("ahead of the server clock", ahead.Error);
        for (int minute = 1; minute <= 3; minute++)
        {
            clock.Now += TimeSpan.FromMinutes(1);
            var real = await engine.ObserveAsync([new ObservedEvent(3, items[minute % 3], T0 + minute * 60_000, $"real{minute}")]);
            Assert.Equal((ServeStatus.Ok, 1, 0), (real.Status, real.Applied, real.Late));
        }
        var state = (await store.GetAsync(new StateKey("v1", 3))).State!;
        Assert.Equal([T0 - 5000, T0 + 60_000, T0 + 120_000, T0 + 180_000], state.SessionItemTimes);
    }

    [Fact]
    public async Task RecommendAsync_DeadlineOnEngineClock_ComputedBeforeExpiredAfter()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(T0));
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, clock);
        var query = new RecommendQuery(1, [], 5, []);
        // Long past on the system clock, still ahead on the engine's.
        var deadline = clock.Now.UtcDateTime.AddSeconds(1);

        Assert.Equal(ServeStatus.Ok, (await engine.RecommendAsync(query, deadline)).Status);
        clock.Now += TimeSpan.FromSeconds(2);
        Assert.Equal(ServeStatus.DeadlineExceeded, (await engine.RecommendAsync(query, deadline)).Status);
    }
}

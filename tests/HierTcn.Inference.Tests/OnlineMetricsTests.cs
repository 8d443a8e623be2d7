using HierTcn.Formats;
using HierTcn.Inference.Online;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Online metrics: a sampled user's Recommend answer is remembered, the user's next applied event is ranked
/// against it (a retried event counts once), later events and events after the gap answer no list.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class OnlineMetricsTests(ServedModelFixture model)
{
    private static readonly DateTime Far = DateTime.MaxValue;

    private RecommenderEngine Start(ScriptedStateStore store, RecordingMetrics metrics, double sampleRate = 1, int capacity = 64) =>
        RecommenderEngine.Start(new RecommenderOptions
        {
            BundlesDirectory = model.BundlesDirectory,
            SnapshotsDirectory = model.SnapshotsDirectory,
            Models = [new ModelArmOptions { Version = "v1" }],
            SnapshotPollInterval = TimeSpan.Zero,
            OnlineMetrics = new OnlineMetricsOptions { SampleRate = sampleRate, Capacity = capacity },
        }, store, metrics);

    [Fact]
    public async Task ObserveAsync_EventAfterRecommend_RankedOnceThenUnmatched()
    {
        await using var store = new ScriptedStateStore();
        var metrics = new RecordingMetrics();
        await using var engine = Start(store, metrics);
        const long user = 41;
        var shown = await engine.RecommendAsync(new RecommendQuery(user, [], 20, [], TimestampMs: T0), Far);
        Assert.Equal(ServeStatus.Ok, shown.Status);
        long third = shown.Items[2].ItemId;

        Assert.Equal(1, (await engine.ObserveAsync([new ObservedEvent(user, third, T0 + 1000, "a")])).Applied);
        // The same event again (a client retry) is a duplicate: not ranked, not unmatched.
        Assert.Equal(1, (await engine.ObserveAsync([new ObservedEvent(user, third, T0 + 1000, "a")])).Duplicates);
        // The next event answers no list: the last one was answered.
        await engine.ObserveAsync([new ObservedEvent(user, third, T0 + 2000, "b")]);

        Assert.Equal(["shown v1 new=True", "ranked v1 3", "unmatched v1"], metrics.Calls);
    }

    [Fact]
    public async Task ObserveAsync_ItemNotShownOrListTooOld_RankZeroOrUnmatched()
    {
        await using var store = new ScriptedStateStore();
        var metrics = new RecordingMetrics();
        await using var engine = Start(store, metrics);
        const long user = 42;
        var shown = await engine.RecommendAsync(new RecommendQuery(user, [], 5, [], TimestampMs: T0), Far);
        long absent = model.Data.ItemIds.ToArray().First(id => shown.Items.All(i => i.ItemId != id));
        // Two events in one call: the first (in time) answers the list, the second answers none.
        await engine.ObserveAsync([new ObservedEvent(user, shown.Items[0].ItemId, T0 + 2000, "b"), new ObservedEvent(user, absent, T0 + 1000, "a")]);

        await engine.RecommendAsync(new RecommendQuery(user, [], 5, [], TimestampMs: T0 + 3000), Far);
        await engine.ObserveAsync([new ObservedEvent(user, shown.Items[0].ItemId, T0 + 3000 + SessionRule.DefaultGapMs + 1, "c")]);

        Assert.Equal(["shown v1 new=True", "ranked v1 0", "unmatched v1", "shown v1 new=False", "unmatched v1"], metrics.Calls);
    }

    [Fact]
    public async Task RecommendAsync_SampleRateZeroPointThree_AboutThatShareOfUsersRemembered()
    {
        await using var store = new ScriptedStateStore();
        var metrics = new RecordingMetrics();
        await using var engine = Start(store, metrics, sampleRate: 0.3, capacity: 4096); // room enough that no group of four overflows
        for (long user = 0; user < 400; user++)
        {
            await engine.RecommendAsync(new RecommendQuery(1_000 + user, [], 1, [], TimestampMs: T0), Far);
        }
        int remembered = metrics.Calls.Count;
        Assert.InRange(remembered, 90, 150);
        // The same users again: the same ones are sampled (a user is in or out for good).
        for (long user = 0; user < 400; user++)
        {
            await engine.RecommendAsync(new RecommendQuery(1_000 + user, [], 1, [], TimestampMs: T0 + 1), Far);
        }
        Assert.Equal(2 * remembered, metrics.Calls.Count);
        Assert.Equal(remembered, metrics.Calls.Count(c => c.EndsWith("new=False", StringComparison.Ordinal)));
    }
}

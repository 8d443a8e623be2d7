using HierTcn.Inference.Client;
using HierTcn.Inference.V1;
using Xunit.Abstractions;

namespace HierTcn.Inference.Tests;

/// <summary>The acceptance replay for a HierTCN trained with the recent-popularity prior: the server counts the clicks it
/// observes (every training user's, then the replayed user's own) and adds w log(1 + clicks in the 15 minutes before the
/// request) to the scores; they equal the trainer's model scores plus that term counted from the dataset.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class RecentPopEndToEndTests(RecentPopModelFixture fixture, ITestOutputHelper output) : IClassFixture<RecentPopModelFixture>
{
    [Theory]
    [InlineData("steps")]
    [InlineData("full-window")]
    public async Task Recommend_RecentPopModel_EqualsTrainerScoresWithTheObservedClicks(string embedding)
    {
        string manifest = await File.ReadAllTextAsync(Path.Combine(fixture.Model.BundlesDirectory, "v1", "manifest.json"));
        Assert.Contains("\"recent_pop\": true", manifest);
        Assert.Contains("\"window_ms\": 900000", manifest);
        await EndToEndTests.ReplayEqualsTrainerAsync(fixture.Model, embedding, output);
    }

    /// <summary>Two pods, each applying half of the training users' events, each sent every click by CountClicks: the
    /// replayed pod's scores equal the trainer's with the counts of all clicks (each counted once).</summary>
    [Fact]
    public async Task Recommend_TwoPodsWithTheClickFeed_EqualTrainerScoresWithAllClicks()
    {
        await EndToEndTests.ReplayEqualsTrainerAsync(fixture.Model, "steps", output, clickFeed: true);
    }

    /// <summary>CountClicks checks events as ObserveEvents does (nothing counted when one is malformed), and a server that
    /// keeps no clicks refuses it.</summary>
    [Fact]
    public async Task CountClicks_MalformedEventOrNoClicksKept_InvalidArgumentAndNothingCounted()
    {
        var settings = new Dictionary<string, string?> { ["Recommender:RecentClicksRetentionMinutes"] = "2880" };
        await using var server = await TestServer.StartAsync(fixture.Model, settings);
        var data = fixture.Model.Data;
        long t = data.EventTimestamps[0];
        var good = new Event { UserId = 1, ItemId = data.ItemIds[0], TimestampMs = t, EventId = "a" };
        var request = new CountClicksRequest { Events = { good, new Event { UserId = 2, ItemId = data.ItemIds[0], TimestampMs = t, EventId = "" } } };
        var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await server.Client.CountClicksAsync(request));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("events[1] (user 2): event_id is empty", e.Status.Detail);
        Assert.Equal(1, (await server.Client.CountClicksAsync(new CountClicksRequest { Events = { good } })).Counted);
        // The same event id of another user is another click.
        var other = new CountClicksRequest { Events = { good.Clone(), new Event(good) { UserId = 3 } } };
        var summary = await server.Client.CountClicksAsync(other);
        Assert.Equal((1, 1), (summary.Counted, summary.Duplicates));

        await using var keepsNone = await TestServer.StartAsync(fixture.Model, new Dictionary<string, string?>
        {
            ["Recommender:RecentClicksCapacity"] = "0",
            ["Recommender:Models:0:Version"] = "plain",
        });
        e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await keepsNone.Client.CountClicksAsync(new CountClicksRequest { Events = { good } }));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("keeps no recent clicks", e.Status.Detail);
    }

    /// <summary>Clicks are kept whatever is loaded: a prior model swapped in over a plain one ranks with the clicks applied
    /// before the swap. Its scores for a new user then exceed those of the same model on an engine that saw no clicks by
    /// exactly w log(1 + c_i), c_i counted from the dataset.</summary>
    [Fact]
    public async Task ApplyArms_PriorModelSwappedIn_RanksWithTheClicksAppliedBefore()
    {
        var model = fixture.Model;
        var data = model.Data;
        var events = new List<ObservedEvent>();
        for (int u = 0; u < data.UserCount; u++)
        {
            var (first, last) = data.UserEvents(u);
            for (int e = first; e < last && data.UserSplit[u] == (byte)Data.Dataset.DataSplit.Train; e++)
            {
                events.Add(new ObservedEvent(data.UserIds[u], data.ItemIds[data.EventItems[e]], data.EventTimestamps[e], $"e{e}"));
            }
        }
        var options = new RecommenderOptions
        {
            BundlesDirectory = model.BundlesDirectory,
            SnapshotsDirectory = model.SnapshotsDirectory,
            Models = [new ModelArmOptions { Version = "plain" }],
            SnapshotPollInterval = TimeSpan.Zero,
            RecentClicksRetentionMinutes = 2880,
        };
        await using var store = new ScriptedStateStore();
        using var logs = new CapturingLoggerFactory();
        await using var swapped = RecommenderEngine.Start(options, store, loggerFactory: logs);
        Assert.Equal(events.Count, (await swapped.ObserveAsync(events)).Applied);
        Assert.DoesNotContain(logs.Messages, m => m.Id.Id == 110);
        await swapped.ApplyArmsAsync([new ModelArmOptions { Version = "v1" }]);
        // Loading a prior model warns that the pod counts only its own events.
        Assert.Contains(logs.Messages, m => m.Id.Id == 110 && m.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && m.Message.Contains("Model v1 adds a recent-popularity prior", StringComparison.Ordinal) && m.Message.Contains("one replica", StringComparison.Ordinal));
        await using var emptyStore = new ScriptedStateStore();
        await using var fresh = RecommenderEngine.Start(new RecommenderOptions
        {
            BundlesDirectory = model.BundlesDirectory,
            SnapshotsDirectory = model.SnapshotsDirectory,
            Models = [new ModelArmOptions { Version = "v1" }],
            SnapshotPollInterval = TimeSpan.Zero,
        }, emptyStore);

        int test = model.TestUsers[1];
        int at = data.UserEvents(test).Start + 1;
        long t = data.EventTimestamps[at];
        var query = new RecommendQuery(data.UserIds[test], [], ServedModelFixture.ItemCount, [], TimestampMs: t);
        var withClicks = (await swapped.RecommendAsync(query, DateTime.MaxValue)).Items.ToDictionary(i => i.ItemId, i => i.Score);
        var without = (await fresh.RecommendAsync(query, DateTime.MaxValue)).Items.ToDictionary(i => i.ItemId, i => i.Score);
        var counts = new int[data.ItemCount];
        foreach (var e in events.Where(e => e.TimestampMs >= t - 900_000 && e.TimestampMs < t))
        {
            counts[Array.IndexOf(data.ItemIds.ToArray(), e.ItemId)]++;
        }
        Assert.True(counts.Sum() > 0, "no training click in the window before the request");
        float worst = 0;
        for (int i = 0; i < data.ItemCount; i++)
        {
            float want = model.PriorWeight * MathF.Log(1 + counts[i]);
            worst = MathF.Max(worst, MathF.Abs(withClicks[data.ItemIds[i]] - without[data.ItemIds[i]] - want));
        }
        output.WriteLine($"{counts.Sum()} clicks in the window; with minus without vs w log(1 + c): max abs diff {worst:E3}");
        Assert.True(worst <= 1e-4f, $"max abs diff {worst}");
    }

    /// <summary>A prior model is refused at load where its window cannot be counted: no clicks kept, or a retention shorter
    /// than its window.</summary>
    [Theory]
    [InlineData(0, 60, "RecentClicksCapacity is 0")]
    [InlineData(1000, 10, "raise RecentClicksRetentionMinutes")]
    public async Task Start_PriorModelWithoutItsWindow_IsRefused(int capacity, int retentionMinutes, string message)
    {
        await using var store = new ScriptedStateStore();
        var e = Assert.Throws<InvalidDataException>(() => RecommenderEngine.Start(new RecommenderOptions
        {
            BundlesDirectory = fixture.Model.BundlesDirectory,
            SnapshotsDirectory = fixture.Model.SnapshotsDirectory,
            Models = [new ModelArmOptions { Version = "v1" }],
            SnapshotPollInterval = TimeSpan.Zero,
            RecentClicksCapacity = capacity,
            RecentClicksRetentionMinutes = retentionMinutes,
        }, store));
        Assert.Contains(message, e.Message);
        Assert.Contains("15 minutes", e.Message);
    }
}

using HierTcn.Inference.V1;
using Xunit.Abstractions;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>A/B split between two loaded versions: sticky per user across calls and across a restart, close to the
/// weights, forcible per request; states are kept per version; backfill seeds a version's states.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class AbSplitTests(ServedModelFixture model, ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> Arms = new()
    {
        ["Recommender:Models:0:Weight"] = "0.7",
        ["Recommender:Models:1:Version"] = "v2",
        ["Recommender:Models:1:Weight"] = "0.3",
    };

    [Fact]
    public async Task Recommend_TwoArms_StickyNearWeightsAndStableAcrossRestart()
    {
        const int users = 1000;
        var first = new string[users];
        await using (var server = await TestServer.StartAsync(model, Arms))
        {
            for (int u = 0; u < users; u++)
            {
                first[u] = (await server.Client.GetUserEmbeddingAsync(new GetUserEmbeddingRequest { UserId = 10_000 + u })).ModelVersion;
            }
            for (int u = 0; u < users; u += 10)
            {
                Assert.Equal(first[u], (await server.Client.RecommendAsync(new RecommendRequest { UserId = 10_000 + u, K = 1 })).ModelVersion);
            }
        }
        double share = first.Count(v => v == "v1") / (double)users;
        output.WriteLine($"v1 share over {users} users: {share:P1} (weight 70%)");
        Assert.InRange(share, 0.65, 0.75);
        await using var restarted = await TestServer.StartAsync(model, Arms);
        for (int u = 0; u < users; u += 7)
        {
            Assert.Equal(first[u], (await restarted.Client.RecommendAsync(new RecommendRequest { UserId = 10_000 + u, K = 1 })).ModelVersion);
        }
    }

    [Fact]
    public async Task States_KeyedByVersion_ForcedVersionAndBackfill()
    {
        await using var server = await TestServer.StartAsync(model, Arms);
        var c = server.Client;
        long user = Enumerable.Range(20_000, 100).First(u => server.Engine.AssignedVersion(u) == "v1");
        long item = model.Data.ItemIds[2];
        await c.ObserveEventsAsync(Batch(Ev(user, item, T0, "a"), Ev(user, model.Data.ItemIds[3], T0 + 1000, "b")));
        Assert.False((await c.RecommendAsync(new RecommendRequest { UserId = user, K = 1, TimestampMs = T0 + 2000 })).UnknownUser);
        var forced = await c.RecommendAsync(new RecommendRequest { UserId = user, K = 1, ModelVersion = "v2", TimestampMs = T0 + 2000 });
        Assert.Equal("v2", forced.ModelVersion);
        Assert.True(forced.UnknownUser, "v1's events must not leak into v2's state");

        var report = await server.Engine.BackfillAsync("v1", "v2", [user, 999_999]);
        Assert.Equal(new BackfillOutcome(ServeStatus.Ok, null, 1, 1, 0), report);
        Assert.False((await c.RecommendAsync(new RecommendRequest { UserId = user, K = 1, ModelVersion = "v2", TimestampMs = T0 + 2000 })).UnknownUser);
        // v2's backfilled state is v2's start plus the open session: the same as a v2 user who saw the same events.
        await c.ObserveEventsAsync(Batch(Ev(777, item, T0, "a", "v2"), Ev(777, model.Data.ItemIds[3], T0 + 1000, "b", "v2")));
        Assert.Equal(await c.EmbeddingAsync(777, T0 + 2000, "v2"), await c.EmbeddingAsync(user, T0 + 2000, "v2"));
        // Remembered event ids moved too: a retry after the move is a duplicate.
        var retry = await c.ObserveEventsAsync(Batch(Ev(user, item, T0, "a", "v2")));
        Assert.Equal(1, retry.Duplicates);
        Assert.Equal(new BackfillOutcome(ServeStatus.Ok, null, 0, 0, 1), await server.Engine.BackfillAsync("v1", "v2", [user]));

        // The same through the Backfill call that `./hiertcn backfill` makes.
        long other = Enumerable.Range(21_000, 100).First(u => server.Engine.AssignedVersion(u) == "v1");
        await c.ObserveEventsAsync(Batch(Ev(other, item, T0, "c")));
        var request = new BackfillRequest { SourceVersion = "v1", TargetVersion = "v2", UserIds = { other, user, 888_888 } };
        var response = await c.BackfillAsync(request);
        Assert.Equal((1, 1, 1), (response.Copied, response.MissingSource, response.AlreadyPresent));
        Assert.False((await c.RecommendAsync(new RecommendRequest { UserId = other, K = 1, ModelVersion = "v2", TimestampMs = T0 + 1000 })).UnknownUser);
        var unknown = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await c.BackfillAsync(new BackfillRequest { SourceVersion = "v1", TargetVersion = "v9", UserIds = { user } }));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("loaded", unknown.Status.Detail);
    }
}

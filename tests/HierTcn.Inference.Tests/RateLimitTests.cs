using Grpc.Core;
using HierTcn.Inference.V1;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Abuse limits (issue 14): events per caller and per user, requests per caller; a refused call is
/// RESOURCE_EXHAUSTED, applies nothing, and is counted.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class RateLimitTests(ServedModelFixture model)
{
    [Fact]
    public async Task ObserveEvents_MoreEventsThanTheCallersLimit_ResourceExhaustedNothingApplied()
    {
        await using var server = await TestServer.StartAsync(model, new Dictionary<string, string?> { ["RecommenderServer:EventsPerSecondPerClient"] = "10" });
        var events = Enumerable.Range(0, 11).Select(i => Ev(700, model.Data.ItemIds[i % 5], T0 + i, $"big-{i}")).ToArray();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.ObserveEventsAsync(Batch(events)));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("EventsPerSecondPerClient", error.Status.Detail);
        Assert.True((await server.Client.RecommendAsync(new RecommendRequest { UserId = 700, K = 3, TimestampMs = T0 + 20 })).UnknownUser);
        Assert.Contains("hiertcn_inference_rate_limited_total{method=\"ObserveEvents\",limit=\"client_events\"}", await MetricsAsync(server));
    }

    [Fact]
    public async Task ObserveEvents_UserOverItsMinuteLimit_ResourceExhaustedAndStateUnchanged()
    {
        await using var server = await TestServer.StartAsync(model, new Dictionary<string, string?> { ["RecommenderServer:EventsPerUserPerMinute"] = "3" });
        var reply = await server.Client.ObserveEventsAsync(Batch(Ev(701, model.Data.ItemIds[0], T0, "u-0"), Ev(701, model.Data.ItemIds[1], T0 + 1, "u-1"),
            Ev(702, model.Data.ItemIds[1], T0 + 1, "other")));
        Assert.Equal(3, reply.Applied);
        // Three more of user 701 exceed its three a minute whatever window the first call fell in.
        var before = await server.Client.EmbeddingAsync(701, T0 + 10);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.ObserveEventsAsync(Batch(
            Ev(701, model.Data.ItemIds[2], T0 + 2, "u-2"), Ev(701, model.Data.ItemIds[3], T0 + 3, "u-3"), Ev(701, model.Data.ItemIds[4], T0 + 4, "u-4"),
            Ev(701, model.Data.ItemIds[5], T0 + 5, "u-5"))));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("user 701", error.Status.Detail);
        Assert.Equal(before, await server.Client.EmbeddingAsync(701, T0 + 10));
        Assert.Contains("hiertcn_inference_rate_limited_total{method=\"ObserveEvents\",limit=\"user_events\"}", await MetricsAsync(server));
    }

    [Fact]
    public async Task Recommend_CallerOverItsRequestRate_ResourceExhaustedAndCounted()
    {
        await using var server = await TestServer.StartAsync(model, new Dictionary<string, string?> { ["RateLimits:RequestsPerSecond"] = "1" });
        RpcException? refused = null;
        for (int i = 0; i < 50 && refused is null; i++)
        {
            try
            {
                await server.Client.RecommendAsync(new RecommendRequest { UserId = 703, K = 3, TimestampMs = T0 });
            }
            catch (RpcException e)
            {
                refused = e;
            }
        }
        Assert.NotNull(refused);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("RequestsPerSecond", refused.Status.Detail);
        Assert.Contains("hiertcn_inference_rate_limited_total{method=\"Recommend\",limit=\"requests\"}", await MetricsAsync(server));
    }

    private static async Task<string> MetricsAsync(TestServer server)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics");
    }
}

using Grpc.Core;
using HierTcn.Inference.V1;
using HierTcn.StateStore;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Degraded, not down: when a user's state cannot be read (the store or its shard unreachable, or not
/// answering), Recommend answers from the model's start state, flags the answer degraded and counts it; events for
/// that user are still refused (UNAVAILABLE, safe to retry), never dropped.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class DegradedRecommendTests(ServedModelFixture model)
{
    private const long T0 = ServedModelFixture.FirstTimestamp + 10_000;

    [Fact]
    public async Task Recommend_StateStoreUnavailable_ColdStartAnswerFlaggedDegradedAndCounted()
    {
        var store = new ScriptedStateStore();
        await using var server = await TestServer.StartAsync(model, null, store);
        var c = server.Client;
        await c.ObserveEventsAsync(Batch(Ev(5, model.Data.ItemIds[3], T0, "d1"), Ev(5, model.Data.ItemIds[4], T0 + 1000, "d2")));
        var request = new RecommendRequest { UserId = 5, K = 4, TimestampMs = T0 + 2000 };
        var healthy = await c.RecommendAsync(request);
        Assert.False(healthy.UnknownUser);
        Assert.False(healthy.Degraded);

        store.FailReads(new StateKey("v1", 5), StoreStatus.Unavailable);
        var degraded = await c.RecommendAsync(request);

        Assert.True(degraded.Degraded);
        Assert.True(degraded.UnknownUser);
        Assert.Equal(4, degraded.Items.Count);
        // Ranked from the start state: the answer a user without any state gets.
        var cold = await c.RecommendAsync(new RecommendRequest { UserId = 987_001, K = 4, TimestampMs = T0 + 2000 });
        Assert.False(cold.Degraded);
        Assert.Equal(cold.Items.Select(i => i.ItemId), degraded.Items.Select(i => i.ItemId));
        using var http = new HttpClient();
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics");
        Assert.Contains("hiertcn_inference_degraded_responses_total{method=\"Recommend\",model_version=\"v1\"}", metrics);
        // Events of that user are not applied to a start state behind the store's back: the call is refused.
        var e = await Assert.ThrowsAsync<RpcException>(() => c.ObserveEventsAsync(Batch(Ev(5, model.Data.ItemIds[5], T0 + 3000, "d3"))).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
    }

    [Fact]
    public async Task Recommend_StateStoreNotAnswering_DegradedAnswerWithinTheDeadline()
    {
        var store = new ScriptedStateStore();
        await using var server = await TestServer.StartAsync(model, null, store);
        store.HoldReads();
        try
        {
            // The read is given up on at half the time left; the other half ranks from the start state.
            var reply = await server.Client.RecommendAsync(new RecommendRequest { UserId = 6, K = 3, TimestampMs = T0 },
                deadline: DateTime.UtcNow.AddSeconds(8));
            Assert.True(reply.Degraded);
            Assert.Equal(3, reply.Items.Count);
        }
        finally
        {
            store.OpenReads();
        }
    }
}

using Grpc.Core;
using HierTcn.Inference.V1;
using Xunit.Abstractions;

namespace HierTcn.Inference.Tests;

/// <summary>A burst far above what a tiny queue holds is shed with RESOURCE_EXHAUSTED, the rest is served, and the
/// server recovers when the burst ends.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class OverloadTests(ServedModelFixture model, ITestOutputHelper output)
{
    [Fact]
    public async Task Recommend_BurstAboveQueueCapacity_ShedsWithResourceExhaustedAndRecovers()
    {
        await using var server = await TestServer.StartAsync(model, new Dictionary<string, string?>
        {
            ["Recommender:Batching:MaxBatchSize"] = "1",
            ["Recommender:Batching:MaxWaitMicroseconds"] = "0",
            ["Recommender:Batching:QueueCapacity"] = "2",
        });
        var codes = await Task.WhenAll(Enumerable.Range(0, 400).Select(async i =>
        {
            try
            {
                await server.Client.RecommendAsync(new RecommendRequest { UserId = i, K = 30 });
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                Assert.Contains("queue", e.Status.Detail);
                return e.StatusCode;
            }
        }));
        var counts = codes.GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine(string.Join(", ", counts.Select(p => $"{p.Key}: {p.Value}")));
        Assert.True(counts.GetValueOrDefault(StatusCode.ResourceExhausted) > 0, "nothing was shed");
        Assert.True(counts.GetValueOrDefault(StatusCode.OK) > 0, "nothing was served");
        Assert.Equal(400, counts.GetValueOrDefault(StatusCode.OK) + counts.GetValueOrDefault(StatusCode.ResourceExhausted));
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(30, (await server.Client.RecommendAsync(new RecommendRequest { UserId = i, K = 30 })).Items.Count);
        }
    }
}

using System.Runtime.ExceptionServices;
using Grpc.Core;
using HierTcn.Inference.V1;
using Xunit.Abstractions;

namespace HierTcn.Inference.Tests;

/// <summary>A burst far above what a tiny queue holds is shed with RESOURCE_EXHAUSTED, the rest is served, and the
/// server recovers when the burst ends; requests that expire in the queue are answered without an exception.</summary>
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

    private static readonly AsyncLocal<bool> s_watching = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RecommendAsync_ExpiredWhileQueued_DeadlineExceededWithoutThrowing(bool callCancelledToo)
    {
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store);
        using var cancel = new CancellationTokenSource();
        if (callCancelledToo)
        {
            // What the server does at a call's deadline.
            await cancel.CancelAsync();
        }
        int thrown = 0;
        void Count(object? sender, FirstChanceExceptionEventArgs e)
        {
            if (s_watching.Value)
            {
                Interlocked.Increment(ref thrown);
            }
        }
        AppDomain.CurrentDomain.FirstChanceException += Count;
        RecommendOutcome outcome;
        try
        {
            s_watching.Value = true;
            outcome = await engine.RecommendAsync(new RecommendQuery(1, [], 5, [], null, 0), DateTime.UtcNow.AddSeconds(-1), cancel.Token);
            s_watching.Value = false;
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }
        Assert.Equal(ServeStatus.DeadlineExceeded, outcome.Status);
        Assert.Contains("not computed", outcome.Error);
        Assert.Equal(0, thrown);
    }
}

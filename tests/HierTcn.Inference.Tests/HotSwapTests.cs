using System.Collections.Concurrent;
using Grpc.Core;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference.V1;
using Xunit.Abstractions;

namespace HierTcn.Inference.Tests;

/// <summary>Hot swap under load: 8 callers keep asking while a new daily snapshot is published (picked up by the
/// CURRENT-pointer poll) and the served model version is replaced; no call fails, and everything swapped out is
/// released once drained.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class HotSwapTests(ServedModelFixture model, ITestOutputHelper output)
{
    [Fact]
    public async Task Swap_SnapshotAndModelUnderLoad_NoFailedCallsAndOldReleased()
    {
        string dir = Path.Combine(model.Root, "swap-snapshots");
        ItemSnapshotDirectory.Publish(dir, "day-1", model.Data.ItemIds, model.ItemEmbeddings, model.Dim);
        await using var server = await TestServer.StartAsync(model, new Dictionary<string, string?>
        {
            ["Recommender:SnapshotsDirectory"] = dir,
            ["Recommender:SnapshotPollInterval"] = "00:00:00.100",
        });
        var seen = new ConcurrentDictionary<(string Model, string Snapshot), int>();
        var failures = new ConcurrentBag<string>();
        int calls = 0;
        using var stop = new CancellationTokenSource();
        var callers = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var r = await server.Client.RecommendAsync(new RecommendRequest { UserId = 100 + c, K = 5 });
                    if (r.Items.Count != 5)
                        failures.Add($"{r.Items.Count} items");
                    seen.AddOrUpdate((r.ModelVersion, r.SnapshotVersion), 1, (_, n) => n + 1);
                    Interlocked.Increment(ref calls);
                }
                catch (RpcException e)
                {
                    failures.Add(e.Status.ToString());
                }
            }
        })).ToArray();

        // Each phase runs until the callers have been answered in it a few dozen times.
        bool Served(string m, string s, int n = 30) => seen.GetValueOrDefault((m, s)) >= n;
        await WaitUntil(() => Served("v1", "day-1"));
        ItemSnapshotDirectory.Publish(dir, "day-2", model.Data.ItemIds, model.ItemEmbeddings, model.Dim);
        await WaitUntil(() => Served("v1", "day-2"));
        await server.Engine.ApplyArmsAsync([new ModelArmOptions { Version = "v2", Weight = 1, SnapshotsDirectory = dir }]);
        await WaitUntil(() => Served("v2", "day-2"));
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        output.WriteLine($"{calls} calls; by (model, snapshot): {string.Join(", ", seen.Select(p => $"{p.Key}={p.Value}"))}; failures {failures.Count}");
        Assert.Empty(failures);
        Assert.Contains(("v1", "day-1"), seen.Keys);
        Assert.Contains(("v1", "day-2"), seen.Keys);
        Assert.Contains(("v2", "day-2"), seen.Keys);
        Assert.Equal(["v2"], server.Engine.Versions);
        await WaitUntil(() => server.Engine.RetiredStillHeld() == 0);
        // The old snapshot file can go: nothing maps it any more.
        File.Delete(ItemSnapshotDirectory.PathOf(dir, "day-1"));
        Assert.Equal("v2", (await server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = 1 })).ModelVersion);
    }

    [Fact]
    public async Task ApplyArms_BadBundle_ServedVersionsUnchanged()
    {
        await using var server = await TestServer.StartAsync(model);
        var e = await Assert.ThrowsAsync<DirectoryNotFoundException>(() =>
            server.Engine.ApplyArmsAsync([new ModelArmOptions { Version = "v1" }, new ModelArmOptions { Version = "missing" }]));
        Assert.Contains("missing", e.Message);
        Assert.Equal(["v1"], server.Engine.Versions);
        Assert.Equal("v1", (await server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = 1 })).ModelVersion);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached within 20 s");
            await Task.Delay(20);
        }
    }
}

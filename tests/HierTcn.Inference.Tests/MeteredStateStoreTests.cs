using HierTcn.Formats.State;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Monitoring;
using Prometheus;

namespace HierTcn.Inference.Tests;

/// <summary>The metered wrapper the embedded mode serves through must keep what the embedded store does, not only
/// count it: a read for ranking stays a read without the event ids.</summary>
public sealed class MeteredStateStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hiertcn-metered-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task GetForRanking_EmbeddedStore_LeavesOutTheEventIdsAndCountsAGet()
    {
        await using var embedded = await EmbeddedStateStore.OpenAsync(new StateStoreOptions
        {
            DataDirectory = _dir,
            IndexBuckets = 1 << 10,
            StoreMemorySizeBits = 23,
            SegmentSizeBits = 22,
            CheckpointInterval = TimeSpan.FromHours(1),
            HousekeepingInterval = TimeSpan.FromHours(1),
        });
        var registry = Metrics.NewCustomRegistry();
        // Through the interface, as the engine calls it.
        await using IStateStore store = new MeteredStateStore(embedded, new StateStoreMetrics(registry));
        var state = new UserState("v1", 5, 2, 2)
        {
            LastEventMs = 1_000,
            SessionStartMs = 900,
            SessionItems = [1, 2],
            SessionItemTimes = [900, 1_000],
            SessionCount = 1,
            RecentEventIds = [11, 12],
            SessionEventIds = [11, 12],
            SessionEventTimes = [900, 1_000],
        };
        Assert.Equal(StoreStatus.Ok, (await store.PutAsync(state)).Status);

        var ranked = await store.GetForRankingAsync(new StateKey("v1", 5));
        var whole = await store.GetAsync(new StateKey("v1", 5));

        Assert.Equal(StoreStatus.Ok, ranked.Status);
        Assert.True(ranked.State!.EventsOmitted);
        Assert.Equal([1L, 2], ranked.State.SessionItems);
        Assert.False(whole.State!.EventsOmitted);
        Assert.Equal([11L, 12], whole.State.SessionEventIds);
        using var text = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(text);
        string scrape = System.Text.Encoding.UTF8.GetString(text.ToArray());
        Assert.Contains("hiertcn_statestore_operations_total{method=\"Get\",status=\"ok\"} 2", scrape);
    }
}

using HierTcn.StateStore.Client;
using HierTcn.Tests.Shared;
using Xunit.Abstractions;

namespace HierTcn.Inference.Tests;

/// <summary>
/// Scaling out under load (issue 20): the inference service in Resp mode on a 3-primary cluster, writers sending
/// events through ObserveEvents and a prober asking Recommend, while a 4th primary joins (CLUSTER MEET) and the slots
/// of the users being written move to it with the engine's own commands (SETSLOT IMPORTING/MIGRATING, MIGRATE,
/// SETSLOT NODE; the runbook in charts/README.md). The client follows MOVED and ASK. No acknowledged event may be
/// lost, no event may need more than one retry, and a Recommend that fails or answers degraded must be answered
/// normally when asked again.
/// </summary>
[Collection(ServedModelCollection.Name)]
public sealed class RespSlotMigrationTests(ServedModelFixture model, ITestOutputHelper output)
{
    [RespEngineFact(RespEngine.Redis)]
    public Task MigrateSlots_RedisNewPrimaryUnderLoad_NoLostOrFailedWrite() => RunAsync(RespEngine.Redis);

    [RespEngineFact(RespEngine.Garnet)]
    public Task MigrateSlots_GarnetNewPrimaryUnderLoad_NoLostOrFailedWrite() => RunAsync(RespEngine.Garnet);

    private async Task RunAsync(RespEngine engine)
    {
        await using var cluster = await RespCluster.StartAsync(engine, primaries: 3);
        await using var server = await TestServer.StartAsync(model, RespFailoverTests.Settings(cluster, waitForReplicas: 0));
        const int writers = 6, usersEach = 16;
        var load = new EventLoad(server.Client, model.Data.ItemIds.ToArray(), writers, usersEach, firstUser: 5_000);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);
        int movedKeys = 0, movedSlots = 0;
        try
        {
            await load.WaitAcknowledgedAsync(300, TimeSpan.FromSeconds(60));
            string added = await cluster.AddNodeAsync();
            // The slots of writer 0's users (their first generation), the prober's user's among them: each is written
            // at every turn of that writer.
            var slots = Enumerable.Range(0, usersEach).Select(i => RespCluster.SlotOf(RespFailoverTests.KeyOf(load.Victim + i))).Distinct().ToList();
            var nodes = await cluster.NodesAsync(cluster.Endpoints[0]);
            foreach (int slot in slots)
            {
                var owner = nodes.Single(n => n.IsPrimary && n.Owns(slot));
                movedKeys += await cluster.MigrateSlotAsync(slot, owner.Endpoint, added);
                movedSlots++;
            }
            long ackedAfterMove = load.Acknowledged;
            await load.WaitAcknowledgedAsync(ackedAfterMove + 200, TimeSpan.FromSeconds(30));
            var after = await cluster.NodesAsync(added);
            Assert.Equal(movedSlots, after.Single(n => n.Endpoint == added).SlotCount);
            output.WriteLine($"{engine}: moved {movedSlots} slots, {movedKeys} keys to {added}");
        }
        finally
        {
            stop.Cancel();
            await running;
        }

        await using var reader = await RespStateStore.ConnectAsync(new RespStateStoreOptions { Endpoints = [.. cluster.Endpoints], KeyPrefix = "hts:" });
        var unreadable = new List<string>();
        int lost = await load.CountLostAsync(reader, unreadable);
        output.WriteLine($"acknowledged events {load.Acknowledged}, lost {lost}, failed calls (retried) {load.FailedCalls}, " +
            $"most failures of one event {load.MostFailuresOfOneEvent}; Recommend: {load.Describe(TimeSpan.Zero)}");
        Assert.Empty(unreadable);
        Assert.Equal(0, lost);
        Assert.InRange(load.MostFailuresOfOneEvent, 0, 1);
        // A Recommend that failed or answered degraded is asked again 100 ms later: that one must be answered normally.
        var run = load.LongestRun(TimeSpan.Zero, EventLoad.ProbeOutcome.Degraded, EventLoad.ProbeOutcome.Failed);
        Assert.True(run.Count <= 1, $"{run.Count} Recommend calls in a row failed or answered degraded, from {run.Since.TotalSeconds:F1} s");
    }
}

using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;
using HierTcn.Tests.Shared;
using StackExchange.Redis;

namespace HierTcn.StateStore.Tests;

/// <summary>What <see cref="RespStateStoreOptions.WaitForReplicas"/> promises, on a Redis Cluster with replicas
/// (Garnet 2.2.12 has no WAIT): the wait covers the node that ran the write, also when a slot migration sent the write
/// on with ASK. Each test starts its own cluster.</summary>
[RequiresRespEngine(RespEngine.Redis)]
public sealed class RespReplicaWaitTests
{
    [Fact]
    public async Task Put_KeySentOnWithAskDuringSlotMigration_WaitsForTheReplicasOfTheNodeThatRanIt()
    {
        // 3 primaries with a replica each, and a 4th primary without one that imports a slot.
        await using var cluster = await RespCluster.StartAsync(RespEngine.Redis, primaries: 3, replicasEach: 1);
        string target = await cluster.AddNodeAsync();
        var options = Waiting(cluster);
        await using var store = await RespStateStore.ConnectAsync(options);
        const long moved = 1;
        int slot = RespCluster.SlotOf(KeyOf(options, moved));
        long stays = SameSlotUser(options, slot, after: moved);
        Assert.Equal(StoreStatus.Ok, (await store.PutAsync(TestStates.Make(moved, 1))).Status);
        Assert.Equal(StoreStatus.Ok, (await store.PutAsync(TestStates.Make(stays, 1))).Status);

        string source = (await cluster.NodesAsync(cluster.Endpoints[0])).Single(n => n.IsPrimary && n.Owns(slot)).Endpoint;
        await cluster.BeginMigrationAsync(slot, source, target);
        Assert.Equal(1, await cluster.MoveKeysAsync(slot, source, target, 0, KeyOf(options, moved)));

        // Still on the source, which has a replica: acknowledged.
        var kept = await store.PutAsync(TestStates.Make(stays, 2));
        Assert.True(kept.IsOk, kept.Error);
        // Sent on with ASK to the target, which has none: the source's replica says nothing about this write.
        var redirected = await store.PutAsync(TestStates.Make(moved, 2));
        Assert.Equal(StoreStatus.Unavailable, redirected.Status);
        Assert.Contains("0 of 1 replicas", redirected.Error);
        Assert.Contains(target, redirected.Error);
        // The write is on the target (the IStateStore contract: an Unavailable write may have been applied).
        Assert.Equal(2, TestStates.CounterOf((await store.GetAsync(new StateKey(TestStates.Model, moved))).State!));

        // A batch: each write is answered by its own node's wait.
        var batch = await store.PutManyAsync([TestStates.Make(stays, 3), TestStates.Make(moved, 3)]);
        Assert.True(batch[0].IsOk, batch[0].Error);
        Assert.Equal(StoreStatus.Unavailable, batch[1].Status);
        Assert.Contains(target, batch[1].Error);
    }

    internal static RespStateStoreOptions Waiting(RespCluster cluster)
    {
        var options = RespTestOptions.For(cluster);
        options.WaitForReplicas = 1;
        options.ReplicaWaitTimeout = TimeSpan.FromMilliseconds(300);
        return options;
    }

    /// <summary>A user's key in the cluster: prefix, int64 user id little-endian, model version.</summary>
    internal static byte[] KeyOf(RespStateStoreOptions options, long user) => RespCluster.StateKeyOf(options.KeyPrefix, user, TestStates.Model);

    /// <summary>The first user above <paramref name="after"/> whose key is in <paramref name="slot"/>.</summary>
    private static long SameSlotUser(RespStateStoreOptions options, int slot, long after)
    {
        for (long user = after + 1; user < after + 1_000_000; user++)
        {
            if (RespCluster.SlotOf(KeyOf(options, user)) == slot)
                return user;
        }
        throw new InvalidOperationException($"no user in slot {slot}");
    }
}

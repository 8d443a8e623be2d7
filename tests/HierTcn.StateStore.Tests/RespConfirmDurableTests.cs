using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;
using HierTcn.Tests.Shared;
using StackExchange.Redis;
using static HierTcn.StateStore.Tests.RespReplicaWaitTests;

namespace HierTcn.StateStore.Tests;

/// <summary><see cref="RespStateStore.ConfirmDurableAsync"/> on a Redis Cluster with one replica per primary: a state
/// found already written (its write answered Unavailable because no replica acknowledged it) gets the guarantee of
/// <see cref="RespStateStoreOptions.WaitForReplicas"/> before a caller acknowledges what it holds.</summary>
[RequiresRespEngine(RespEngine.Redis)]
public sealed class RespConfirmDurableTests
{
    [Fact]
    public async Task ConfirmDurable_StateWrittenWhileItsReplicaWasPaused_UnavailableUntilTheReplicaHasIt()
    {
        await using var cluster = await RespCluster.StartAsync(RespEngine.Redis, primaries: 3, replicasEach: 1);
        var options = Waiting(cluster);
        await using var store = await RespStateStore.ConnectAsync(options);
        const long user = 5;
        var key = new StateKey(TestStates.Model, user);
        int slot = RespCluster.SlotOf(KeyOf(options, user));
        var nodes = await cluster.NodesAsync(cluster.Endpoints[0]);
        var primary = nodes.Single(n => n.IsPrimary && n.Owns(slot));
        string replica = nodes.Single(n => n.PrimaryId == primary.Id).Endpoint;

        ulong version;
        await cluster.PauseAsync(replica);
        try
        {
            var put = await store.PutAsync(TestStates.Make(user, 1));
            Assert.Equal(StoreStatus.Unavailable, put.Status);
            Assert.Contains("0 of 1 replicas", put.Error);
            // Written on the primary: a caller that reads it finds its change there, yet no replica has it.
            var read = await store.GetAsync(key);
            Assert.Equal(StoreStatus.Ok, read.Status);
            version = read.State!.Version;
            var confirm = await store.ConfirmDurableAsync(key, version);
            Assert.Equal(StoreStatus.Unavailable, confirm.Status);
            Assert.Contains("0 of 1 replicas", confirm.Error);
        }
        finally
        {
            await cluster.ResumeAsync(replica);
        }

        // The replica catches up; a loaded machine may need more than one wait.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        WriteResult confirmed;
        while (!(confirmed = await store.ConfirmDurableAsync(key, version)).IsOk)
        {
            Assert.True(DateTime.UtcNow < deadline, $"not confirmed 30 s after the replica resumed: {confirmed.Status} {confirmed.Error}");
            await Task.Delay(100);
        }
        Assert.Equal(version, confirmed.Version);
        // Unchanged, and on the replica.
        Assert.Equal(version, (await store.GetAsync(key)).State!.Version);
        await using (var direct = await ConnectionMultiplexer.ConnectAsync(string.Join(',', cluster.Endpoints)))
        {
            var onReplica = await direct.GetDatabase().HashGetAsync(KeyOf(options, user), "v", CommandFlags.DemandReplica);
            Assert.Equal(version.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)onReplica);
        }

        var other = await store.ConfirmDurableAsync(key, version + 5);
        Assert.Equal((StoreStatus.VersionMismatch, version), (other.Status, other.Version));
        var absent = await store.ConfirmDurableAsync(new StateKey(TestStates.Model, user + 1), 1);
        Assert.Equal((StoreStatus.VersionMismatch, 0UL), (absent.Status, absent.Version));
    }
}

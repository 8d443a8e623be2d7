using Grpc.Core;
using HierTcn.Formats.State;
using HierTcn.Inference.Sessions;
using HierTcn.Tests.Shared;
using StackExchange.Redis;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>
/// A resent event that the state already holds (its first call wrote it on the primary, but the replica wait failed)
/// is acknowledged as a duplicate only with the guarantee <c>WaitForReplicas</c> gives a write: on a Redis Cluster
/// with one replica per primary, the replica of the user's primary is paused (SIGSTOP), so its first call and every
/// resend answer Unavailable; once it resumes, the resend is acknowledged and the replica has the event.
/// </summary>
[Collection(ServedModelCollection.Name)]
public sealed class RespDuplicateAcknowledgementTests(ServedModelFixture model)
{
    [RespEngineFact(RespEngine.Redis)]
    public async Task ObserveEvents_ResentEventAppliedButNotReplicated_AcknowledgedOnlyOnceItsReplicaHasIt()
    {
        await using var cluster = await RespCluster.StartAsync(RespEngine.Redis, primaries: 3, replicasEach: 1);
        var settings = RespFailoverTests.Settings(cluster, waitForReplicas: 1);
        settings["StateStoreClient:Resp:ReplicaWaitTimeout"] = "00:00:00.300";
        settings["StateStoreClient:Resp:CallTimeout"] = "00:00:10";
        await using var server = await TestServer.StartAsync(model, settings);
        const long user = 42;
        byte[] key = RespFailoverTests.KeyOf(user);
        int slot = RespCluster.SlotOf(key);
        var nodes = await cluster.NodesAsync(cluster.Endpoints[0]);
        var primary = nodes.Single(n => n.IsPrimary && n.Owns(slot));
        string replica = nodes.Single(n => n.PrimaryId == primary.Id).Endpoint;
        var request = Batch(Ev(user, model.Data.ItemIds[0], T0, "resent-1"));

        await cluster.PauseAsync(replica);
        try
        {
            var first = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.ObserveEventsAsync(request));
            Assert.Equal(StatusCode.Unavailable, first.StatusCode);
            Assert.Contains("0 of 1 replicas", first.Status.Detail, StringComparison.Ordinal);
            // The event is in the state on the primary; its replica still has nothing.
            var resent = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.ObserveEventsAsync(request));
            Assert.Equal(StatusCode.Unavailable, resent.StatusCode);
            Assert.Contains("0 of 1 replicas", resent.Status.Detail, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.ResumeAsync(replica);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                var reply = await server.Client.ObserveEventsAsync(request);
                Assert.Equal((0, 1), (reply.Applied, reply.Duplicates));
                break;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
        await using var direct = await ConnectionMultiplexer.ConnectAsync(string.Join(',', cluster.Endpoints));
        var onReplica = (byte[]?)await direct.GetDatabase().HashGetAsync(key, "s", CommandFlags.DemandReplica);
        Assert.NotNull(onReplica);
        Assert.True(UserStateSerializer.TryDeserialize(onReplica, out var state, out var error), error);
        Assert.True(state.HasAppliedEvent(EventIds.Hash("resent-1")), "the replica of the user's primary lacks the acknowledged event");
    }
}

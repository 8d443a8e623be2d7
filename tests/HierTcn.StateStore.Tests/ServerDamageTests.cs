using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using HierTcn.Formats.State;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Protocol;
using HierTcn.StateStore.Server.Extensions;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

/// <summary>The shard when its files or its disk fail: health tells the truth, a shard that cannot recover without
/// silent loss refuses to serve and says how to repair, and shards refuse keys that are not theirs.</summary>
public sealed class ServerDamageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ByteString Bytes(long user, long counter) => ByteString.CopyFrom(UserStateSerializer.Serialize(TestStates.Make(user, counter)));

    private static Task<HealthCheckResponse> HealthAsync(GrpcChannel channel) => new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest()).ResponseAsync;

    [Fact]
    public async Task Server_WalWriteFails_HealthNotServingReadsServed()
    {
        // The WAL's second segment cannot be created (a directory holds its name), so writes fail once the first is full.
        Directory.CreateDirectory(Path.Combine(_dir.Path, "wal", "00000001.wal"));
        await using var shard = await InProcessShard.StartAsync(_dir.Path, "--StateStore:SegmentSizeBits=16");
        using var channel = GrpcChannel.ForAddress(shard.Address);
        var client = new Protocol.StateStore.StateStoreClient(channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await HealthAsync(channel)).Status);

        WriteResponse last = new();
        int user = 0;
        for (; user < 2000; user++)
        {
            last = await client.PutAsync(new PutRequest { State = Bytes(user, 1) });
            if (last.Status != Protocol.Status.Ok)
                break;
        }
        Assert.Equal(Protocol.Status.WritesRefused, last.Status);
        Assert.Contains("write-ahead log", last.Error);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await HealthAsync(channel)).Status);
        var read = await client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = 0 } });
        Assert.Equal(Protocol.Status.Ok, read.Status);
        Assert.Equal(Protocol.Status.NotFound, (await client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = user } })).Status);
    }

    [Fact]
    public async Task Server_NoUsableCheckpointAndWalTruncated_RefusesWithRepairCommandUntilRepaired()
    {
        var options = TestStates.SmallOptions(_dir.Path);
        options.SegmentSizeBits = 16;
        var engine = await StateStoreEngine.OpenAsync(options);
        for (int round = 1; round <= 3; round++)
        {
            for (int u = 0; u < 300; u++)
                Assert.Equal(StoreStatus.Ok, (await engine.PutAsync(TestStates.Make(u, round))).Status);
            Assert.True(await engine.CheckpointAsync());
        }
        for (int u = 0; u < 10; u++)
            Assert.Equal(StoreStatus.Ok, (await engine.PutAsync(TestStates.Make(u, 4))).Status);
        await engine.AbandonAsync();
        Assert.False(File.Exists(Path.Combine(_dir.Path, "wal", "00000000.wal")), "the test needs the WAL's first segment truncated away");
        FileDamage.Empty(Path.Combine(_dir.Path, "hlog", "hlog.log.0"));

        await using (var shard = await InProcessShard.StartAsync(_dir.Path, "--StateStore:SegmentSizeBits=16"))
        {
            using var channel = GrpcChannel.ForAddress(shard.Address);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await HealthAsync(channel)).Status);
            var refused = await Assert.ThrowsAsync<RpcException>(() => new Protocol.StateStore.StateStoreClient(channel)
                .GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = 1 } }).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
            Assert.Contains("none of the 2 checkpoints", refused.Status.Detail);
            Assert.Contains($"repair --data {_dir.Path}", refused.Status.Detail);
        }

        Assert.Equal(0, await RepairCommand.RunAsync(["repair", "--data", _dir.Path, "--StateStore:SegmentSizeBits=16", "--StateStore:MaxStateBytes=16384",
            $"--StateStore:IndexBuckets={options.IndexBuckets}", $"--StateStore:StoreMemorySizeBits={options.StoreMemorySizeBits}", $"--StateStore:StorePageSizeBits={options.StorePageSizeBits}"]));
        Assert.Single(Directory.EnumerateDirectories(_dir.Path, "damaged-*"));
        await using (var repaired = await InProcessShard.StartAsync(_dir.Path, "--StateStore:SegmentSizeBits=16"))
        {
            await using var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [repaired.Address] });
            // What the WAL still held is back; the rest starts cold.
            for (int u = 0; u < 10; u++)
                Assert.Equal(4, TestStates.CounterOf((await store.GetAsync(new StateKey(TestStates.Model, u))).State!));
            Assert.Equal(StoreStatus.Ok, (await store.PutAsync(TestStates.Make(5000, 1))).Status);
        }
    }

    [Fact]
    public async Task Server_KeyOfAnotherShard_FailedPreconditionAndClientSaysShardListIsWrong()
    {
        await using var shard = await InProcessShard.StartAsync(_dir.Path, "--StateStoreServer:ShardIndex=0", "--StateStoreServer:ShardCount=2");
        long mine = Enumerable.Range(0, 100).First(u => ShardHash.ShardOf(new StateKey(TestStates.Model, u), 2) == 0);
        long theirs = Enumerable.Range(0, 100).First(u => ShardHash.ShardOf(new StateKey(TestStates.Model, u), 2) == 1);
        using var channel = GrpcChannel.ForAddress(shard.Address);
        var client = new Protocol.StateStore.StateStoreClient(channel);

        Assert.Equal(Protocol.Status.Ok, (await client.PutAsync(new PutRequest { State = Bytes(mine, 1) })).Status);
        var put = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync(new PutRequest { State = Bytes(theirs, 1) }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, put.StatusCode);
        Assert.Contains("belongs to shard 1 of 2, this is shard 0", put.Status.Detail);
        var get = await Assert.ThrowsAsync<RpcException>(() => client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = theirs } }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, get.StatusCode);

        // A client whose list names only this shard sends it every key: the error says the list is wrong.
        await using var wrongList = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [shard.Address] });
        var read = await wrongList.GetAsync(new StateKey(TestStates.Model, theirs));
        Assert.Equal(StoreStatus.Unavailable, read.Status);
        Assert.Contains("shard list", read.Error);
        Assert.Equal(StoreStatus.Ok, (await wrongList.GetAsync(new StateKey(TestStates.Model, mine))).Status);
    }

    [Fact]
    public async Task Server_PodNameOfOrdinalOne_OwnsTheKeysOfShardOne()
    {
        // As the chart starts a shard: the StatefulSet pod's name, and the replica count.
        await using var shard = await InProcessShard.StartAsync(_dir.Path, "--StateStoreServer:PodName=recs-hiertcn-state-1", "--StateStoreServer:ShardCount=2");
        long mine = Enumerable.Range(0, 100).First(u => ShardHash.ShardOf(new StateKey(TestStates.Model, u), 2) == 1);
        long theirs = Enumerable.Range(0, 100).First(u => ShardHash.ShardOf(new StateKey(TestStates.Model, u), 2) == 0);
        using var channel = GrpcChannel.ForAddress(shard.Address);
        var client = new Protocol.StateStore.StateStoreClient(channel);

        Assert.Equal(Protocol.Status.Ok, (await client.PutAsync(new PutRequest { State = Bytes(mine, 1) })).Status);
        var put = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync(new PutRequest { State = Bytes(theirs, 1) }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, put.StatusCode);
        Assert.Contains("belongs to shard 0 of 2, this is shard 1", put.Status.Detail);
    }

    [Theory]
    [InlineData("recs-hiertcn-state", 0, "must end in -ORDINAL")]
    [InlineData("recs-hiertcn-state-x", 0, "must end in -ORDINAL")]
    [InlineData("recs-hiertcn-state-2", 0, "the ordinal of PodName 'recs-hiertcn-state-2') is 2; allowed 0..1")]
    [InlineData("recs-hiertcn-state-1", 2, "ShardIndex is 2 but the ordinal")]
    public void Validate_PodNameWithoutOrdinalOrDisagreeing_NamesTheSetting(string podName, int index, string expected)
    {
        var errors = new Server.StateStoreServerOptions { PodName = podName, ShardIndex = index, ShardCount = 2 }.Validate();
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(-1, 2)]
    [InlineData(0, 0)]
    public void Validate_ShardIndexOutsideShardCount_NamesTheSetting(int index, int count)
    {
        var errors = new Server.StateStoreServerOptions { ShardIndex = index, ShardCount = count }.Validate();
        Assert.Contains(errors, e => e.Contains("StateStoreServer:Shard", StringComparison.Ordinal));
    }
}

using System.Buffers.Binary;
using System.Text;
using HierTcn.Formats.State;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;
using HierTcn.Tests.Shared;
using StackExchange.Redis;

namespace HierTcn.StateStore.Tests;

/// <summary>The contract on a 3-primary Redis Cluster started from Debian's redis-server, plus what only the RESP
/// store has: its layout in the cluster and waiting for replicas.</summary>
[RequiresRespEngine(RespEngine.Redis)]
public sealed class RedisClusterStateStoreTests(RedisClusterFixture fixture) : StateStoreContractTests, IClassFixture<RedisClusterFixture>
{
    private readonly RespStateStoreOptions _options = RespTestOptions.For(fixture.Cluster!);

    protected override async Task<IStateStore> CreateStoreAsync() => await RespStateStore.ConnectAsync(_options);

    [Fact]
    public async Task Put_State_IsHashOfVersionAndSerializedStateUnderEngineKeyBytes()
    {
        Assert.Equal(StoreStatus.Ok, (await Store.PutAsync(TestStates.Make(42, 7))).Status);
        Assert.Equal(StoreStatus.Ok, (await Store.PutAsync(TestStates.Make(42, 8))).Status);
        // Prefix, then int64 user id little-endian, then the model version's UTF-8.
        var key = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(key, 42);
        byte[] raw = [.. Encoding.UTF8.GetBytes(_options.KeyPrefix), .. key, .. Encoding.UTF8.GetBytes(TestStates.Model)];
        await using var connection = await ConnectionMultiplexer.ConnectAsync(string.Join(',', _options.Endpoints));
        var fields = await connection.GetDatabase().HashGetAllAsync(raw);
        Assert.Equal(["s", "v"], fields.Select(f => (string)f.Name!).Order());
        Assert.Equal("2", (string?)fields.Single(f => f.Name == "v").Value);
        Assert.True(UserStateSerializer.TryDeserialize((byte[])fields.Single(f => f.Name == "s").Value!, out var state, out var error), error);
        Assert.Equal(8, TestStates.CounterOf(state));
    }

    [Fact]
    public async Task Put_WaitForReplicaWithoutReplicas_ReturnsUnavailableAndStateIsOnPrimary()
    {
        var waiting = RespTestOptions.For(fixture.Cluster!);
        waiting.WaitForReplicas = 1;
        waiting.ReplicaWaitTimeout = TimeSpan.FromMilliseconds(200);
        await using var store = await RespStateStore.ConnectAsync(waiting);
        var put = await store.PutAsync(TestStates.Make(43, 1));
        Assert.Equal(StoreStatus.Unavailable, put.Status);
        Assert.Contains("0 of 1 replicas", put.Error);
        // Not acknowledged, yet written on the primary (the IStateStore contract: read before retrying).
        Assert.Equal(1, TestStates.CounterOf((await store.GetAsync(new StateKey(TestStates.Model, 43))).State!));
    }
}

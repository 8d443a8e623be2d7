using System.Net;
using System.Net.Sockets;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;
using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests;

public sealed class StateStoreClientTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task OpenAsync_DefaultMode_IsEmbeddedAndDurable()
    {
        var options = new StateStoreClientOptions { Embedded = TestStates.SmallOptions(_dir.Path) };
        await using (var store = await StateStoreClient.OpenAsync(options))
        {
            Assert.IsType<EmbeddedStateStore>(store);
            Assert.Equal(StoreStatus.Ok, (await store.PutAsync(TestStates.Make(1, 3))).Status);
        }
        await using var reopened = await StateStoreClient.OpenAsync(options);
        Assert.Equal(3, TestStates.CounterOf((await reopened.GetAsync(new StateKey(TestStates.Model, 1))).State!));
    }

    [Fact]
    public async Task OpenAsync_RemoteWithoutShards_ListsTheProblem()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => StateStoreClient.OpenAsync(new StateStoreClientOptions { Mode = StateStoreMode.Remote }));
        Assert.Contains("Remote: Shards is empty", error.Message);
    }

    [Fact]
    public async Task RemoteStateStore_ShardDown_ReturnsUnavailable()
    {
        int port = ServerProcess.FreePort();
        await using var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{port}"], CallTimeout = TimeSpan.FromSeconds(2) });
        var read = await store.GetAsync(new StateKey("m", 1));
        Assert.Equal(StoreStatus.Unavailable, read.Status);
        var write = await store.PutAsync(TestStates.Make(1, 1));
        Assert.Equal(StoreStatus.Unavailable, write.Status);
        Assert.StartsWith($"gRPC status Unavailable from shard 0 (http://127.0.0.1:{port}): ", read.Error);
        Assert.StartsWith($"gRPC status Unavailable from shard 0 (http://127.0.0.1:{port}): ", write.Error);
    }

    [Fact]
    public async Task RemoteStateStore_ShardSilent_UnavailableNamesTheMissedDeadline()
    {
        // Accepts connections (the kernel's backlog) and never answers: every call misses its deadline, which the
        // gRPC client reports with an empty detail.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            string address = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
            await using var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [address], CallTimeout = TimeSpan.FromMilliseconds(500) });
            string expected = $"gRPC status DeadlineExceeded from shard 0 ({address}): no answer within RemoteStateStoreOptions.CallTimeout (0.5 s)";
            var read = await store.GetAsync(new StateKey("m", 1));
            Assert.Equal(StoreStatus.Unavailable, read.Status);
            Assert.StartsWith(expected, read.Error);
            var batch = await store.PutManyAsync([TestStates.Make(1, 1), TestStates.Make(2, 1)]);
            Assert.All(batch, r =>
            {
                Assert.Equal(StoreStatus.Unavailable, r.Status);
                Assert.StartsWith(expected, r.Error);
            });
        }
        finally
        {
            silent.Stop();
        }
    }

    [Fact]
    public async Task OpenAsync_RespWithBadSettings_ListsEveryProblem()
    {
        var options = new StateStoreClientOptions { Mode = StateStoreMode.Resp, Resp = new() { Endpoints = ["redis-0"], WaitForReplicas = -1 } };
        var error = await Assert.ThrowsAsync<ArgumentException>(() => StateStoreClient.OpenAsync(options));
        Assert.Contains("Resp: Endpoints[0] is 'redis-0'; it must be host:port", error.Message);
        Assert.Contains("Resp: WaitForReplicas is -1", error.Message);
    }

    [Fact]
    public async Task OpenAsync_RespClusterDown_OpensAndAnswersUnavailable()
    {
        int port = ServerProcess.FreePort();
        var options = new StateStoreClientOptions
        {
            Mode = StateStoreMode.Resp,
            Resp = new() { Endpoints = [$"127.0.0.1:{port}"], ConnectTimeout = TimeSpan.FromSeconds(1), CallTimeout = TimeSpan.FromSeconds(2) },
        };
        await using var store = await StateStoreClient.OpenAsync(options);
        Assert.IsType<RespStateStore>(store);
        var read = await store.GetAsync(new StateKey("m", 1));
        Assert.Equal(StoreStatus.Unavailable, read.Status);
        var write = await store.CompareAndSwapAsync(TestStates.Make(1, 1), 0);
        Assert.Equal(StoreStatus.Unavailable, write.Status);
        Assert.False(string.IsNullOrEmpty(write.Error));
        var batch = await store.GetManyAsync([new StateKey("m", 1), new StateKey("m", 2)]);
        Assert.All(batch, r => Assert.Equal(StoreStatus.Unavailable, r.Status));
    }
}

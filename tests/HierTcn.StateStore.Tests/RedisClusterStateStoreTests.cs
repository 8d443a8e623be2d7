using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

/// <summary>The contract on a 3-primary Redis Cluster started from Debian's redis-server.</summary>
[RequiresRespEngine(RespEngine.Redis)]
public sealed class RedisClusterStateStoreTests(RedisClusterFixture fixture) : StateStoreContractTests, IClassFixture<RedisClusterFixture>
{
    protected override async Task<IStateStore> CreateStoreAsync()
        => await RespStateStore.ConnectAsync(RespTestOptions.For(fixture.Cluster!));
}

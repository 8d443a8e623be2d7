using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;
using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests;

/// <summary>The contract on a 3-primary Garnet cluster started from the garnet-server tool.</summary>
[RequiresRespEngine(RespEngine.Garnet)]
public sealed class GarnetStateStoreTests(GarnetClusterFixture fixture) : StateStoreContractTests, IClassFixture<GarnetClusterFixture>
{
    protected override async Task<IStateStore> CreateStoreAsync()
        => await RespStateStore.ConnectAsync(RespTestOptions.For(fixture.Cluster!));

    /// <summary>Garnet 2.2.12 has no WAIT, so WaitForReplicas cannot be met there: every write answers Unavailable
    /// with the server's error (the no-loss failover test is skipped on Garnet for this reason). When this fails,
    /// Garnet has WAIT: enable Failover_GarnetWaitForReplicaOperatorFailover_NoAcknowledgedWriteLost.</summary>
    [Fact]
    public async Task Put_WaitForReplica_GarnetHasNoWait_ReturnsUnavailableNamingTheError()
    {
        var waiting = RespTestOptions.For(fixture.Cluster!);
        waiting.WaitForReplicas = 1;
        await using var store = await RespStateStore.ConnectAsync(waiting);
        var put = await store.PutAsync(TestStates.Make(44, 1));
        Assert.Equal(StoreStatus.Unavailable, put.Status);
        Assert.Contains("unknown command", put.Error);
    }
}

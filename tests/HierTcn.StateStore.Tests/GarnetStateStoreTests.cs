using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

/// <summary>The contract on a 3-primary Garnet cluster started from the garnet-server tool.</summary>
[RequiresRespEngine(RespEngine.Garnet)]
public sealed class GarnetStateStoreTests(GarnetClusterFixture fixture) : StateStoreContractTests, IClassFixture<GarnetClusterFixture>
{
    protected override async Task<IStateStore> CreateStoreAsync()
        => await RespStateStore.ConnectAsync(RespTestOptions.For(fixture.Cluster!));
}

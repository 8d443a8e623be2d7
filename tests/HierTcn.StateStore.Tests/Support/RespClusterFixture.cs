using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests.Support;

/// <summary>One 3-primary cluster of an engine, shared by the tests of a class (each test uses its own key prefix);
/// nothing is started when the engine is not installed (the tests are reported Skipped then).</summary>
public abstract class RespClusterFixture(RespEngine engine) : IAsyncLifetime
{
    public RespCluster? Cluster { get; private set; }

    public async Task InitializeAsync()
    {
        if (RespTools.MissingReason(engine) is null)
            Cluster = await RespCluster.StartAsync(engine);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
            await Cluster.DisposeAsync();
    }
}

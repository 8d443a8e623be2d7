using HierTcn.StateStore.Client;
using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests.Support;

/// <summary>RESP store options for a test: the cluster's nodes, a key prefix of its own (the tests of a class share
/// one cluster), and the small state limit of <see cref="TestStates.SmallOptions"/>.</summary>
public static class RespTestOptions
{
    public static RespStateStoreOptions For(RespCluster cluster) => new()
    {
        Endpoints = [.. cluster.Endpoints],
        KeyPrefix = "t" + Guid.NewGuid().ToString("N")[..12] + ":",
        MaxStateBytes = TestStates.SmallOptions("unused").MaxStateBytes,
        CallTimeout = TimeSpan.FromSeconds(30),
    };
}

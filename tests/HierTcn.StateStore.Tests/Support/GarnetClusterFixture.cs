using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests.Support;

/// <summary>A 3-primary Garnet cluster for one test class.</summary>
public sealed class GarnetClusterFixture() : RespClusterFixture(RespEngine.Garnet);

using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests.Support;

/// <summary>A 3-primary Redis Cluster for one test class.</summary>
public sealed class RedisClusterFixture() : RespClusterFixture(RespEngine.Redis);

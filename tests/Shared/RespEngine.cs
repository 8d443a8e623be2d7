namespace HierTcn.Tests.Shared;

/// <summary>The RESP cluster engines the tests start from their packages.</summary>
public enum RespEngine
{
    /// <summary>Debian redis-server (7.0) in cluster mode; redis-cli forms the cluster.</summary>
    Redis,

    /// <summary>The garnet-server dotnet tool in cluster mode (installed by .ci/run under .build/garnet/); redis-cli
    /// forms the cluster.</summary>
    Garnet,
}

namespace HierTcn.StateStore.Client;

/// <summary>Where the state store runs.</summary>
public enum StateStoreMode
{
    /// <summary>The engine in this process (<see cref="EmbeddedStateStore"/>).</summary>
    Embedded = 0,

    /// <summary>Shard servers over gRPC (<see cref="RemoteStateStore"/>).</summary>
    Remote = 1,

    /// <summary>A Redis Cluster or Garnet cluster over RESP (<see cref="RespStateStore"/>).</summary>
    Resp = 2,
}

namespace HierTcn.StateStore.Client;

/// <summary>Which <see cref="IStateStore"/> a service uses, as configuration (for example the "StateStoreClient"
/// section): <see cref="StateStoreMode.Embedded"/> (the default: the engine in-process, for one pod and the
/// quickstart), <see cref="StateStoreMode.Remote"/> (gRPC shards) or <see cref="StateStoreMode.Resp"/> (a Redis
/// Cluster or Garnet cluster).</summary>
public sealed class StateStoreClientOptions
{
    /// <summary>Embedded (default), Remote or Resp.</summary>
    public StateStoreMode Mode { get; set; } = StateStoreMode.Embedded;

    /// <summary>The engine's settings in embedded mode; <see cref="StateStoreOptions.DataDirectory"/> is required.</summary>
    public StateStoreOptions Embedded { get; set; } = new();

    /// <summary>The shards in remote mode; <see cref="RemoteStateStoreOptions.Shards"/> is required.</summary>
    public RemoteStateStoreOptions Remote { get; set; } = new();

    /// <summary>The cluster in RESP mode; <see cref="RespStateStoreOptions.Endpoints"/> is required.</summary>
    public RespStateStoreOptions Resp { get; set; } = new();

    /// <summary>Returns every problem with the settings of the selected mode; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate() => Mode switch
    {
        StateStoreMode.Embedded => [.. Embedded.Validate().Select(e => "Embedded: " + e)],
        StateStoreMode.Remote => [.. Remote.Validate().Select(e => "Remote: " + e)],
        StateStoreMode.Resp => [.. Resp.Validate().Select(e => "Resp: " + e)],
        _ => [$"Mode is {Mode}; use Embedded, Remote or Resp"],
    };
}

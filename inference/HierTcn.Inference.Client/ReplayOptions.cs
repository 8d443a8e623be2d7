namespace HierTcn.Inference.Client;

/// <summary>What <see cref="DatasetReplay"/> replays.</summary>
public sealed record ReplayOptions
{
    /// <summary>Users replayed (the first of the chosen split, in dataset order). Default 5.</summary>
    public int Users { get; init; } = 5;

    /// <summary>Split the users come from: "test", "validation", "train" or "all". Default "test" (held-back users).</summary>
    public string Split { get; init; } = "test";

    /// <summary>Items recommended per user. Default 10.</summary>
    public int K { get; init; } = 10;

    /// <summary>Events sent per ObserveEvents call. Default 256.</summary>
    public int EventsPerCall { get; init; } = 256;

    /// <summary>Forced model version; empty uses the service's A/B assignment.</summary>
    public string ModelVersion { get; init; } = "";
}

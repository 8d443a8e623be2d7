namespace HierTcn.Formats.Bundles;

/// <summary>What a bundle's graphs do for the service.</summary>
public static class GraphRoles
{
    /// <summary>The user embedding from the current session so far (and the user's state): runs per request.</summary>
    public const string Embed = "embed";

    /// <summary>The new user state when a session closes (hierarchical models and HRNN) or, for the flat GRU, the
    /// state after one event; runs per session or per event.</summary>
    public const string Update = "update";

    /// <summary>Scoring: user embeddings against an item matrix, top k (eq. 12), the same for every model type.</summary>
    public const string Score = "score";

    /// <summary>Item features to item vectors (feature models only, <see cref="ModelDims.FeatureDim"/> set): the
    /// daily snapshot job embeds every item of the day's feature file with it, new items included.</summary>
    public const string Project = "project";

    /// <summary>The incremental form of <see cref="Embed"/> (hiertcn): one new input row and the TCN's per-convolution
    /// buffers of its last (K-1) x dilation inputs in, the user embedding and the advanced buffers out, so each event
    /// costs the same whatever the session length. Optional (<see cref="BundleSignatures.IsOptional"/>): bundles
    /// written before it have only <see cref="Embed"/>, which the service then runs on the whole window.</summary>
    public const string EmbedStep = "embed_step";
}

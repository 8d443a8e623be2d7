namespace HierTcn.Inference;

/// <summary>One served model version: its bundle directory name, its A/B weight and, optionally, a snapshot
/// directory of its own.</summary>
public sealed class ModelArmOptions
{
    /// <summary>The bundle's model version (the directory under <see cref="RecommenderOptions.BundlesDirectory"/>).</summary>
    public string Version { get; set; } = "";

    /// <summary>Share of users assigned to this version (normalised over all arms). Weight 0 loads the version for
    /// forced requests and backfill only. Default 1.</summary>
    public double Weight { get; set; } = 1;

    /// <summary>Snapshot directory for this version; empty uses <see cref="RecommenderOptions.SnapshotsDirectory"/>.</summary>
    public string SnapshotsDirectory { get; set; } = "";
}

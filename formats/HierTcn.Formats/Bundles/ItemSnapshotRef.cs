namespace HierTcn.Formats.Bundles;

/// <summary>The item snapshot a bundle scores against: its version (file <c>VERSION.snap</c> in the snapshot
/// directory), the checksum in its header, and its shape.</summary>
public sealed record ItemSnapshotRef(string Version, string Checksum, long Rows, int Dimension);

namespace HierTcn.Formats.Snapshots;

/// <summary>The header of an item snapshot file (<see cref="ItemSnapshotFile"/> has the byte layout).</summary>
/// <param name="FormatVersion">The file format version, <see cref="ItemSnapshotFile.FormatVersion"/>.</param>
/// <param name="Rows">N: rows of the item matrix.</param>
/// <param name="Dimension">d: floats per row.</param>
/// <param name="CreatedUnixMs">When the file was written, Unix milliseconds UTC.</param>
/// <param name="Checksum">SHA-256 over the header's first 80 bytes and everything after the header, lowercase hex.</param>
public sealed record ItemSnapshotHeader(int FormatVersion, long Rows, int Dimension, long CreatedUnixMs, string Checksum)
{
    /// <summary>The creation time as a UTC timestamp.</summary>
    public DateTimeOffset Created => DateTimeOffset.FromUnixTimeMilliseconds(CreatedUnixMs);
}

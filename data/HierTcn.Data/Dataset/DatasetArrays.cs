namespace HierTcn.Data.Dataset;

/// <summary>The arrays of a prepared dataset in memory, as preparation builds them (see <see cref="DatasetFile"/>).</summary>
public sealed record DatasetArrays
{
    public required long[] ItemIds { get; init; }
    public required long[] UserIds { get; init; }
    public required byte[] UserSplit { get; init; }
    public required int[] UserSessions { get; init; }
    public required int[] SessionEvents { get; init; }
    public required int[] EventItems { get; init; }
    public required long[] EventTimestamps { get; init; }
    public required byte[] EventSplit { get; init; }
    /// <summary>Null without impressions.</summary>
    public long[]? ImpressionOffsets { get; init; }
    public int[]? ImpressionItems { get; init; }
    /// <summary>Null without item features; else N * <see cref="ItemFeatureDim"/> floats, row-major by dense item id.</summary>
    public float[]? ItemFeatures { get; init; }
    public int ItemFeatureDim { get; init; }
}

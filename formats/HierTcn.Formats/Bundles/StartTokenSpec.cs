namespace HierTcn.Formats.Bundles;

/// <summary>A learned start token stored in the bundle's start-token file: float offset and shape.</summary>
public sealed record StartTokenSpec(string Name, long Offset, IReadOnlyList<int> Shape)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}

using HierTcn.Data.Dataset;

namespace HierTcn.Data.Preparation;

/// <summary>A prepared dataset in memory: the arrays and the header that <see cref="DatasetWriter"/> writes.</summary>
public sealed class PreparationResult
{
    public required DatasetHeader Header { get; init; }
    public required DatasetArrays Arrays { get; init; }
}

namespace HierTcn.Formats.Bundles;

/// <summary>A graph input or output: name, element type ("float32" or "int64") and shape.</summary>
public sealed record TensorSpec(string Name, string ElementType, IReadOnlyList<TensorDim> Shape)
{
    public const string Float32 = "float32";
    public const string Int64 = "int64";

    public override string ToString() => $"{Name}: {ElementType}{TensorDim.Format(Shape)}";

    public bool Matches(TensorSpec other) =>
        Name == other.Name && ElementType == other.ElementType && Shape.SequenceEqual(other.Shape);
}

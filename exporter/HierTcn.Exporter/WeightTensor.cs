namespace HierTcn.Exporter;

/// <summary>A named float32 weight, row-major, with its shape (PyTorch's layout).</summary>
public sealed record WeightTensor(int[] Shape, float[] Data)
{
    public override string ToString() => "[" + string.Join(", ", Shape) + "]";
}

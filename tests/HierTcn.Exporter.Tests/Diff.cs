namespace HierTcn.Exporter.Tests;

internal static class Diff
{
    public static float MaxAbs(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float m = 0;
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(float.IsFinite(a[i]) && float.IsFinite(b[i]), $"non-finite value at {i}: {a[i]} vs {b[i]}");
            m = MathF.Max(m, MathF.Abs(a[i] - b[i]));
        }
        return m;
    }
}

namespace HierTcn.Exporter.Tests;

/// <summary>A random padded batch: rows [B, T, width] with random values in the padding too (the graphs must ignore
/// it), lengths in [1, T] with row 0 at T and row 1 (when B > 1) at 1, and a random state [B, L, H].</summary>
internal sealed class Batch
{
    public required int B { get; init; }
    public required int T { get; init; }
    public required float[] Items { get; init; }
    public required long[] Lengths { get; init; }
    public required float[] State { get; init; }
    public required float[] Flags { get; init; }

    public static Batch Random(int seed, int b, int t, int d, int layers, int hidden)
    {
        var random = new Random(seed);
        var lengths = new long[b];
        for (int i = 0; i < b; i++)
        {
            lengths[i] = i == 0 ? t : i == 1 ? 1 : random.Next(1, t + 1);
        }
        return new Batch
        {
            B = b,
            T = t,
            Items = Fill(random, b * t * d),
            Lengths = lengths,
            State = Fill(random, b * layers * hidden),
            Flags = Enumerable.Range(0, b * t).Select(_ => random.Next(4) == 0 ? 1f : 0f).ToArray(),
        };
    }

    public static float[] Fill(Random random, int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    public float[] Row(int b, int t, int d) => Items.AsSpan((b * T + t) * d, d).ToArray();

    public float[][] StateOf(int b, int layers, int hidden) =>
        Enumerable.Range(0, layers).Select(k => State.AsSpan((b * layers + k) * hidden, hidden).ToArray()).ToArray();
}

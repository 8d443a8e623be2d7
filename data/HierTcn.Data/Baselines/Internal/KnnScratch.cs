namespace HierTcn.Data.Baselines.Internal;

/// <summary>Per-thread buffers of <see cref="SessionKnnModel"/>; <see cref="Weight"/> is all zeros between queries.</summary>
internal sealed class KnnScratch(int items, int sampleSize)
{
    public float[] Weight { get; } = new float[items];
    public List<int> Touched { get; } = [];
    public List<int> Heads { get; } = [];
    public List<int> Ends { get; } = [];
    public int[] Candidates { get; } = new int[sampleSize];
    public long[] Keys { get; } = new long[sampleSize];
}

using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Benchmarks;

/// <summary>A model that costs next to nothing: each query gets one of 16 precomputed random rows, so a benchmark of
/// the harness measures ranking, not scoring.</summary>
public sealed class RandomRowModel : IRankingModel
{
    private readonly float[][] _rows;

    public RandomRowModel(int items, int seed)
    {
        var rng = new Random(seed);
        _rows = [.. Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, items).Select(_ => rng.NextSingle()).ToArray())];
    }

    public string Name => "random-rows";

    public IReadOnlyDictionary<string, object?> HyperParameters { get; } = new Dictionary<string, object?>();

    public void Score(PreparedDataset data, ReadOnlySpan<ScoreQuery> queries, Span<float> scores)
    {
        int n = _rows[0].Length;
        for (int q = 0; q < queries.Length; q++)
        {
            _rows[queries[q].Event & 15].CopyTo(scores.Slice(q * n, n));
        }
    }
}

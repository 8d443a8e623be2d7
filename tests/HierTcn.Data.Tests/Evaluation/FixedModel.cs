using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Tests.Evaluation;

/// <summary>A model whose row for a query comes from a function of (query, item); records every batch it sees.</summary>
internal sealed class FixedModel(Func<ScoreQuery, int, float> score) : IRankingModel
{
    public List<ScoreQuery[]> Batches { get; } = [];

    public string Name => "fixed";

    public IReadOnlyDictionary<string, object?> HyperParameters { get; } = new Dictionary<string, object?> { ["alpha"] = 0.5 };

    public void Score(PreparedDataset data, ReadOnlySpan<ScoreQuery> queries, Span<float> scores)
    {
        Batches.Add(queries.ToArray());
        int n = data.ItemCount;
        for (int q = 0; q < queries.Length; q++)
        {
            for (int i = 0; i < n; i++)
            {
                scores[q * n + i] = score(queries[q], i);
            }
        }
    }
}

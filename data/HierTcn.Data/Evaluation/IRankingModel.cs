using HierTcn.Data.Dataset;

namespace HierTcn.Data.Evaluation;

/// <summary>
/// A model the evaluation harness can rank the catalogue with. Baselines and trained neural models implement it.
/// </summary>
public interface IRankingModel
{
    /// <summary>Short name written into reports ("pop", "hiertcn", ...).</summary>
    string Name { get; }

    /// <summary>Hyper-parameters written into reports.</summary>
    IReadOnlyDictionary<string, object?> HyperParameters { get; }

    /// <summary>
    /// Scores the whole catalogue for each query: row <c>i</c> of <paramref name="scores"/> (length
    /// <c>queries.Length * data.ItemCount</c>, row-major) receives the scores for <c>queries[i]</c>. Higher is better.
    /// Queries come grouped by user, ascending by event within a user. <paramref name="data"/> is the dataset whose
    /// users are scored; it shares the catalogue (dense item ids) of the data the model was fitted on.
    /// Called from one thread at a time.
    /// </summary>
    void Score(PreparedDataset data, ReadOnlySpan<ScoreQuery> queries, Span<float> scores);
}

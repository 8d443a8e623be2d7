using HierTcn.Data.Baselines.Internal;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Baselines;

/// <summary>Global popularity: an item's score is its number of training events, the same for every query.
/// Immutable after fitting; safe to share.</summary>
public sealed class PopularityModel : IRankingModel
{
    private readonly float[] _scores;

    private PopularityModel(long[] counts)
    {
        Counts = counts;
        _scores = Array.ConvertAll(counts, c => (float)c);
    }

    public string Name => "pop";

    public IReadOnlyDictionary<string, object?> HyperParameters { get; } = new Dictionary<string, object?>
    {
        ["score"] = "training events of the item",
    };

    /// <summary>Training events per dense item id.</summary>
    public IReadOnlyList<long> Counts { get; }

    /// <summary>Counts the training events of <paramref name="data"/> (cold: the training users' events; warm: events
    /// before T1).</summary>
    public static PopularityModel Fit(PreparedDataset data) =>
        new(TrainingRanges.ItemCounts(data, TrainingRanges.Of(data)));

    public void Score(PreparedDataset data, ReadOnlySpan<ScoreQuery> queries, Span<float> scores)
    {
        TrainingRanges.CheckCatalogue(data, _scores.Length, Name);
        for (int i = 0; i < queries.Length; i++)
        {
            _scores.CopyTo(scores.Slice(i * _scores.Length, _scores.Length));
        }
    }
}

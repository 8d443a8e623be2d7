using System.Text.Json;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Tests.Baselines;

/// <summary>
/// What every <see cref="IRankingModel"/> owes the harness, checked on the Globo slice: every cell of every row
/// written with a finite score, the same rows whatever the batching, the same rows on a second call, and
/// hyper-parameters that serialise into a report. A new model gets these checks by deriving a class that fits it.
/// </summary>
public abstract class RankingModelContractTests : IClassFixture<SliceDatasetFixture>
{
    private readonly PreparedDataset _data;
    private readonly ScoreQuery[] _queries;

    protected RankingModelContractTests(SliceDatasetFixture fixture)
    {
        _data = fixture.Data;
        // The first test users' queries: new-session and within-session events, several users.
        _queries = Evaluator.Queries(_data, DataSplit.Test)[..150];
    }

    protected abstract IRankingModel Fit(PreparedDataset data);

    /// <summary>How far a cell may move when the queries are batched differently, relative to max(1, |score|): 0 (exact)
    /// for the counting baselines; a float32 network's kernels sum in an order that depends on the batch's shape.</summary>
    protected virtual double BatchingTolerance => 0;

    private void AssertSameRows(float[] expected, float[] actual)
    {
        if (BatchingTolerance == 0)
        {
            Assert.Equal(expected, actual);
            return;
        }
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double limit = BatchingTolerance * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= limit,
                $"cell {i} (query {i / _data.ItemCount}): {expected[i]} vs {actual[i]} differs by more than {limit}");
        }
    }

    private float[] ScoreAll(IRankingModel model, int batch)
    {
        int n = _data.ItemCount;
        var scores = new float[_queries.Length * n];
        scores.AsSpan().Fill(float.NaN);
        for (int start = 0; start < _queries.Length; start += batch)
        {
            int count = Math.Min(batch, _queries.Length - start);
            model.Score(_data, _queries.AsSpan(start, count), scores.AsSpan(start * n, count * n));
        }
        return scores;
    }

    [Fact]
    public void Score_OneBatch_WritesFiniteScoreInEveryCell()
    {
        var scores = ScoreAll(Fit(_data), _queries.Length);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
    }

    [Fact]
    public void Score_DifferentBatching_GivesSameRows()
    {
        var model = Fit(_data);
        var whole = ScoreAll(model, _queries.Length);
        AssertSameRows(whole, ScoreAll(model, 1));
        AssertSameRows(whole, ScoreAll(model, 7));
    }

    [Fact]
    public void Score_SecondFit_GivesSameRows() => Assert.Equal(ScoreAll(Fit(_data), 64), ScoreAll(Fit(_data), 64));

    [Fact]
    public void Score_RowsDifferAcrossQueriesOrModelIsPopularity()
    {
        var model = Fit(_data);
        var scores = ScoreAll(model, 64);
        int n = _data.ItemCount;
        bool varies = Enumerable.Range(1, _queries.Length - 1).Any(q => !scores.AsSpan(q * n, n).SequenceEqual(scores.AsSpan(0, n)));
        Assert.Equal(model.Name != "pop", varies);
    }

    [Fact]
    public void HyperParameters_SerializeIntoReport()
    {
        var model = Fit(_data);
        Assert.False(string.IsNullOrWhiteSpace(model.Name));
        string json = JsonSerializer.Serialize(model.HyperParameters);
        Assert.StartsWith("{", json);
    }
}

using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Data.Tests.Evaluation;

namespace HierTcn.Data.Tests.Baselines;

public sealed class BaselineTests : IDisposable
{
    private const long Min = 60_000;
    private readonly TestDatasets _sets = new();

    public void Dispose() => _sets.Dispose();

    private static float[] Row(IRankingModel model, PreparedDataset data, ScoreQuery query)
    {
        var row = new float[data.ItemCount];
        model.Score(data, [query], row);
        return row;
    }

    // Train users 10 and 11, test user 12 (events 7..9). Item popularity in training: 0:2, 1:3, 2:1, 3:1, 4:0, 5:0.
    // Training transitions: 0->1 twice (once across a 2-hour gap), 1->2, 2->1, 3->0.
    private PreparedDataset Small() => _sets.Cold(6,
    [
        new TestUser(10, DataSplit.Train, (0, 0), (1, 1 * Min), (2, 2 * Min), (1, 3 * Min)),
        new TestUser(11, DataSplit.Train, (3, 0), (0, 1 * Min), (1, 120 * Min)),
        new TestUser(12, DataSplit.Test, (4, 0), (0, 1 * Min), (5, 2 * Min)),
    ]);

    [Fact]
    public void Popularity_ColdSplit_CountsTrainingUsersOnly()
    {
        using var data = Small();
        var pop = PopularityModel.Fit(data);
        Assert.Equal([2L, 3, 1, 1, 0, 0], pop.Counts);
        Assert.Equal([2f, 3, 1, 1, 0, 0], Row(pop, data, new ScoreQuery(2, 8)));
        // Test events: item 0 ties with nobody above 2 except item 1 -> rank 2; item 5 ties with 4 -> rank 6.
        var report = Evaluator.Evaluate(data, pop, DataSplit.Test);
        Assert.Equal((1 / 2.0 + 1 / 6.0) / 2, report.Metrics.Event.Mrr, 12);
    }

    [Fact]
    public void Popularity_WarmSplit_CountsEventsBeforeT1()
    {
        using var data = _sets.Warm(3,
        [
            new TestUser(1, DataSplit.Train, (0, 10), (1, 20), (2, 150)),
            new TestUser(2, DataSplit.Train, (2, 30), (2, 250)),
        ], t1: 100, t2: 200);
        Assert.Equal([1L, 1, 1], PopularityModel.Fit(data).Counts);
    }

    /// <summary>recentpop counts the training users' events in [t - window, t) before the event at t (one at t is not
    /// before it, the test user's own are not training events), and adds all-time popularity / (max + 1) to break ties.</summary>
    [Fact]
    public void RecentPopularity_CountsTrainingEventsInTheWindowBeforeTheEvent()
    {
        using var data = Small();
        var recent = RecentPopularityModel.Fit(data, windowMs: 2 * Min);
        // Event 8 (user 12's item 0 at 1 minute): training events at 0 are in, those at 1 minute are not.
        Assert.Equal([1.5f, 0.75f, 0.25f, 1.25f, 0, 0], Row(recent, data, new ScoreQuery(2, 8)));
        // Event 9 (item 5 at 2 minutes): everything at 0 and 1 minute.
        Assert.Equal([2.5f, 1.75f, 0.25f, 1.25f, 0, 0], Row(recent, data, new ScoreQuery(2, 9)));
        Assert.Equal([1.5f, 1.75f, 0.25f, 0.25f, 0, 0], Row(RecentPopularityModel.Fit(data, windowMs: Min), data, new ScoreQuery(2, 9)));
        Assert.Equal(2.0, recent.HyperParameters["window_minutes"]);
        Assert.Throws<UserInputException>(() => RecentPopularityModel.Fit(data, windowMs: 0));
    }

    /// <summary>In a warm split only events before T1 are training events: a later one is never counted, however near.</summary>
    [Fact]
    public void RecentPopularity_WarmSplit_CountsEventsBeforeT1Only()
    {
        using var data = _sets.Warm(3,
        [
            new TestUser(1, DataSplit.Train, (0, 10), (1, 20), (2, 150)),
            new TestUser(2, DataSplit.Train, (2, 30), (2, 250)),
        ], t1: 100, t2: 200);
        var recent = RecentPopularityModel.Fit(data, windowMs: 1000);
        // User 2's event at 250 (global event 4): in its window [-750, 250) only the events before T1 = 100 count.
        Assert.Equal([1.5f, 1.5f, 1.5f], Row(recent, data, new ScoreQuery(1, 4)));
    }

    [Fact]
    public void Transition_LastItem_ScoresSuccessorCountsWithPopularityTieBreak()
    {
        using var data = Small();
        var cooc = TransitionModel.Fit(data);
        Assert.Equal(2, cooc.Count(0, 1));
        Assert.Equal(1, cooc.Count(3, 0));
        Assert.Equal(0, cooc.Count(1, 0));
        // Query event 8 (item 0) follows item 4, which has no successors: popularity order 1 > 0 > {2,3} > {4,5}.
        var afterUnknown = Row(cooc, data, new ScoreQuery(2, 8));
        Assert.True(afterUnknown[1] > afterUnknown[0] && afterUnknown[0] > afterUnknown[2]);
        Assert.Equal(afterUnknown[2], afterUnknown[3]);
        Assert.All(afterUnknown, s => Assert.InRange(s, 0f, 0.99f));
        // Query event 9 follows item 0: item 1 scores 2 plus its tie-break, every other item below 1.
        var afterZero = Row(cooc, data, new ScoreQuery(2, 9));
        Assert.Equal(2 + 3 / 4f, afterZero[1], 5);
        Assert.Equal(2 / 4f, afterZero[0], 5);
    }

    // Training sessions by recency: A = {0,1,2} (oldest), B = {0,3}, C = {4,5} (newest, shares nothing with item 0).
    private PreparedDataset KnnData() => _sets.Cold(7,
    [
        new TestUser(1, DataSplit.Train, (0, 0), (1, 1 * Min), (2, 2 * Min), (0, 100 * Min), (3, 101 * Min)),
        new TestUser(2, DataSplit.Train, (4, 200 * Min), (5, 201 * Min)),
        // Test user: item 0, then item 6 in the same session, then item 3 in a new session two hours later.
        new TestUser(3, DataSplit.Test, (0, 300 * Min), (6, 301 * Min), (3, 420 * Min)),
    ]);

    [Fact]
    public void SessionKnn_CurrentItemSharedByTwoSessions_SumsSimilarities()
    {
        using var data = KnnData();
        var knn = SessionKnnModel.Fit(data, new SessionKnnOptions { MaxDegreeOfParallelism = 1 });
        // Query event 8 (item 6): current session [0] with weight 1, neighbours A and B with similarity 1 each.
        var row = Row(knn, data, new ScoreQuery(2, 8));
        Assert.Equal(1f, row[1], 2);
        Assert.Equal(1f, row[2], 2);
        Assert.Equal(1f, row[3], 2);
        Assert.True(row[4] < 1e-3f && row[6] < 1e-3f);
        // Remind off: the current item keeps only its tie-break; popularity orders the rest (0 has 2 events, 3 has 1).
        Assert.True(row[0] < 1e-3f && row[0] > row[4] && row[3] > row[2] - 1e-6f);
        var remind = Row(SessionKnnModel.Fit(data, new SessionKnnOptions { Remind = true }), data, new ScoreQuery(2, 8));
        Assert.Equal(2f, remind[0], 2);
    }

    [Fact]
    public void SessionKnn_SampleSizeOne_KeepsMostRecentCandidate()
    {
        using var data = KnnData();
        var row = Row(SessionKnnModel.Fit(data, new SessionKnnOptions { SampleSize = 1 }), data, new ScoreQuery(2, 8));
        Assert.Equal(1f, row[3], 2);
        Assert.True(row[1] < 1e-3f);
    }

    [Fact]
    public void SessionKnn_NewSession_UsesPreviousSessionOnlyWhenSessionAware()
    {
        using var data = KnnData();
        // Query event 9 opens a new session; the previous session is [0, 6] (weights 0.5, 1). Item 6 is in no training
        // session, so A and B are neighbours with similarity 0.5 each.
        var aware = Row(SessionKnnModel.Fit(data), data, new ScoreQuery(2, 9));
        Assert.Equal(0.5f, aware[1], 2);
        Assert.Equal(0.5f, aware[3], 2);
        var plain = SessionKnnModel.Fit(data, new SessionKnnOptions { SessionAware = false });
        var pop = Row(plain, data, new ScoreQuery(2, 9));
        var counts = PopularityModel.Fit(data).Counts;
        for (int i = 0; i < counts.Count; i++)
        {
            for (int j = 0; j < counts.Count; j++)
            {
                Assert.Equal(counts[i].CompareTo(counts[j]), pop[i].CompareTo(pop[j]));
            }
        }
    }

    [Fact]
    public void SessionKnn_NeighboursOne_KeepsMostSimilar()
    {
        using var data = _sets.Cold(6,
        [
            new TestUser(1, DataSplit.Train, (0, 0), (1, 1 * Min), (2, 2 * Min)),
            new TestUser(2, DataSplit.Train, (0, 10 * Min), (3, 11 * Min)),
            new TestUser(3, DataSplit.Test, (0, 0), (1, 1 * Min), (4, 2 * Min)),
        ]);
        // Current session [0, 1]: weights 0.5 and 1; A = {0,1,2} has similarity 1.5, B = {0,3} (more recent) 0.5.
        var row = Row(SessionKnnModel.Fit(data, new SessionKnnOptions { Neighbours = 1 }), data, new ScoreQuery(2, 7));
        Assert.Equal(1.5f, row[2], 2);
        Assert.True(row[3] < 1e-2f);
    }

    [Fact]
    public void Baselines_ScoreDatasetWithOtherCatalogue_ThrowUserInput()
    {
        using var data = Small();
        using var other = _sets.Cold(4, [new TestUser(1, DataSplit.Test, (0, 0), (1, 1))], kind: "score");
        foreach (string name in BaselineModels.Names)
        {
            var model = BaselineModels.Fit(name, data);
            var e = Assert.Throws<UserInputException>(() => Evaluator.Evaluate(other, model, DataSplit.Test));
            Assert.Contains("catalog", e.Message);
            Assert.Throws<UserInputException>(() => BaselineModels.Fit(name, other));
        }
        Assert.Throws<UserInputException>(() => BaselineModels.Fit("gru", data));
    }

    [Fact]
    public void Baselines_ScoreDatasetWithSameCatalogue_ScoreItsUsers()
    {
        using var data = Small();
        using var other = _sets.Cold(6, [new TestUser(7, DataSplit.Test, (1, 0), (1, 1), (4, 2))], kind: "score");
        var report = Evaluator.Evaluate(other, PopularityModel.Fit(data), DataSplit.Test);
        // Item 1 is the most popular (rank 1); item 4 ties with 5 at the bottom (rank 6).
        Assert.Equal((1 + 1 / 6.0) / 2, report.Metrics.Event.Mrr, 12);
    }
}

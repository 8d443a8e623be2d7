using System.Text.Json;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Tests.Evaluation;

public sealed class EvaluatorTests : IDisposable
{
    private const long Min = 60_000;
    private readonly TestDatasets _sets = new();

    public void Dispose() => _sets.Dispose();

    // User 1 (test): items 0,1,2 in one session, then 3,4 in a session 98 minutes later. User 2 (train). User 3 (test):
    // two events exactly 30 minutes apart, one session.
    private PreparedDataset ThreeUsers(int items = 5) => _sets.Cold(items,
    [
        new TestUser(1, DataSplit.Test, (0, 0), (1, 1 * Min), (2, 2 * Min), (3, 100 * Min), (4, 101 * Min)),
        new TestUser(2, DataSplit.Train, (0, 0), (1, 1 * Min)),
        new TestUser(3, DataSplit.Test, (2, 0), (3, 30 * Min)),
    ]);

    [Fact]
    public void Evaluate_ScoreMinusItem_GivesHandComputedMetrics()
    {
        using var data = ThreeUsers();
        // Score -i: item k ranks k + 1. Scored events: user 1's items 1,2,3,4 (ranks 2,3,4,5), user 3's item 3 (rank 4).
        var report = Evaluator.Evaluate(data, new FixedModel((_, i) => -i), DataSplit.Test);
        var e = report.Metrics.Event;
        Assert.Equal(5, e.N);
        Assert.Equal(0, e.Recall1);
        Assert.Equal(1, e.Recall5);
        Assert.Equal((1 / 2.0 + 1 / 3.0 + 1 / 4.0 + 1 / 5.0 + 1 / 4.0) / 5, e.Mrr, 12);
        Assert.Equal((2 + 3 + 4 + 5 + 4) / 5.0 / 5.0, e.Mrp, 12);
        var u = report.Metrics.User;
        Assert.Equal(2, u.N);
        Assert.Equal(((1 / 2.0 + 1 / 3.0 + 1 / 4.0 + 1 / 5.0) / 4 + 1 / 4.0) / 2, u.Mrr, 12);
        Assert.Equal(((2 + 3 + 4 + 5) / 20.0 + 4 / 5.0) / 2, u.Mrp, 12);
        Assert.Equal(1, report.Metrics.NewSession.N);
        Assert.Equal(0.25, report.Metrics.NewSession.Mrr, 12);
        Assert.Equal(4, report.Metrics.WithinSession.N);
        Assert.Equal((1 / 2.0 + 1 / 3.0 + 1 / 5.0 + 1 / 4.0) / 4, report.Metrics.WithinSession.Mrr, 12);
        Assert.Equal(2, report.ScoredUsers);
        Assert.Null(report.Impressions);
    }

    [Fact]
    public void Evaluate_OracleModel_RanksEveryEventFirst()
    {
        using var data = ThreeUsers();
        var report = Evaluator.Evaluate(data, new FixedModel((q, i) => i == data.EventItems[q.Event] ? 1 : 0), DataSplit.Test);
        Assert.Equal(1, report.Metrics.Event.Recall1);
        Assert.Equal(1, report.Metrics.Event.Mrr);
        Assert.Equal(1 / 5.0, report.Metrics.Event.Mrp, 12);
    }

    [Fact]
    public void Evaluate_AllScoresEqual_TiesCountAgainstModel()
    {
        using var data = ThreeUsers(items: 30);
        var report = Evaluator.Evaluate(data, new FixedModel((_, _) => 0.5f), DataSplit.Test);
        Assert.Equal(0, report.Metrics.Event.Recall20);
        Assert.Equal(1 / 30.0, report.Metrics.Event.Mrr, 12);
        Assert.Equal(1, report.Metrics.Event.Mrp, 12);
    }

    [Fact]
    public void Evaluate_NaNTrueScore_RanksLast()
    {
        using var data = ThreeUsers(items: 30);
        // NaN for the true item, NaN elsewhere too: the true item ranks N whatever the others hold.
        var report = Evaluator.Evaluate(data, new FixedModel((q, i) => i == data.EventItems[q.Event] || i % 2 == 0 ? float.NaN : -1), DataSplit.Test);
        Assert.Equal(1, report.Metrics.Event.Mrp, 12);
        // NaN for the other items only: they never count, so the true item ranks first.
        var other = Evaluator.Evaluate(data, new FixedModel((q, i) => i == data.EventItems[q.Event] ? 0 : float.NaN), DataSplit.Test);
        Assert.Equal(1, other.Metrics.Event.Recall1);
    }

    [Fact]
    public void Evaluate_ModelLeavesRowsUnwritten_RanksTrueItemsLast()
    {
        using var data = ThreeUsers(items: 30);
        // Batches of two: without the harness's guard the later batches would reuse the oracle rows of the first.
        var oracle = new FixedModel((q, i) => i == data.EventItems[q.Event] ? 1 : 0);
        var lazy = new LazyModel(oracle);
        var report = Evaluator.Evaluate(data, lazy, DataSplit.Test, new EvaluationOptions { BatchSize = 2 });
        Assert.Equal(5, report.Metrics.Event.N);
        Assert.Equal((1 + 1 + 30 + 30 + 30) / 5.0 / 30, report.Metrics.Event.Mrp, 12);
    }

    /// <summary>Writes its first batch with the inner model, then nothing.</summary>
    private sealed class LazyModel(IRankingModel inner) : IRankingModel
    {
        private bool _wrote;

        public string Name => "lazy";

        public IReadOnlyDictionary<string, object?> HyperParameters => inner.HyperParameters;

        public void Score(PreparedDataset data, ReadOnlySpan<ScoreQuery> queries, Span<float> scores)
        {
            if (!_wrote)
            {
                inner.Score(data, queries, scores);
                _wrote = true;
            }
        }
    }

    [Fact]
    public void Evaluate_ValidationSplitWithoutUsers_ReportsZeroEvents()
    {
        using var data = ThreeUsers();
        var report = Evaluator.Evaluate(data, new FixedModel((_, i) => i), DataSplit.Validation);
        Assert.Equal(0, report.Metrics.Event.N);
        Assert.Equal(0, report.Metrics.User.N);
        Assert.Equal(0, report.Metrics.Event.Mrr);
    }

    [Fact]
    public void Queries_WarmSplit_ScoresOnlyUsersWithEarlierPeriodEvents()
    {
        using var data = _sets.Warm(3,
        [
            new TestUser(1, DataSplit.Train, (0, 10), (1, 150), (2, 250), (0, 260)),
            new TestUser(2, DataSplit.Train, (0, 210), (1, 220)),
            new TestUser(3, DataSplit.Train, (0, 150), (1, 160), (2, 210)),
        ], t1: 100, t2: 200);
        long[] Ts(DataSplit s) => [.. Evaluator.Queries(data, s).Select(q => data.EventTimestamps[q.Event])];
        Assert.Equal([150L], Ts(DataSplit.Validation));
        Assert.Equal([250L, 260L, 210L], Ts(DataSplit.Test));
        Assert.Empty(Ts(DataSplit.Train));
    }

    [Fact]
    public void Evaluate_WarmItemWithoutTrainingEvent_ReportedApartAsNewItems()
    {
        // Item 4 first appears after T1: no training event. Test events: item 4 twice (rank 5 under score -i), items 1
        // and 2 once each (ranks 2 and 3).
        using var data = _sets.Warm(5,
        [
            new TestUser(1, DataSplit.Train, (0, 10), (1, 20), (4, 250), (1, 260)),
            new TestUser(2, DataSplit.Train, (2, 30), (3, 40), (4, 210), (2, 220)),
        ], t1: 100, t2: 200);
        var report = Evaluator.Evaluate(data, new FixedModel((_, i) => -i), DataSplit.Test);
        Assert.Equal(4, report.Metrics.Event.N);
        Assert.NotNull(report.NewItems);
        Assert.NotNull(report.KnownItems);
        Assert.Equal(2, report.NewItems.Event.N);
        Assert.Equal(1 / 5.0, report.NewItems.Event.Mrr, 12);
        Assert.Equal(0, report.NewItems.Event.Recall1);
        Assert.Equal(2, report.KnownItems.Event.N);
        Assert.Equal((1 / 2.0 + 1 / 3.0) / 2, report.KnownItems.Event.Mrr, 12);
        Assert.Equal(1, report.KnownItems.Event.Recall5);
        Assert.Equal(2, report.NewItems.User.N);
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(2, json.RootElement.GetProperty("new_items").GetProperty("event").GetProperty("n").GetInt64());
        Assert.Contains("new_items/event", report.FormatTable());
    }

    [Fact]
    public void Evaluate_EveryTrueItemHasTrainingEvent_NoItemNoveltyGroups()
    {
        using var data = _sets.Warm(3,
        [
            new TestUser(1, DataSplit.Train, (0, 10), (1, 20), (2, 30), (1, 250)),
            new TestUser(2, DataSplit.Train, (2, 30), (0, 210)),
        ], t1: 100, t2: 200);
        var report = Evaluator.Evaluate(data, new FixedModel((_, i) => -i), DataSplit.Test);
        Assert.Equal(2, report.Metrics.Event.N);
        Assert.Null(report.NewItems);
        Assert.Null(report.KnownItems);
        Assert.DoesNotContain("new_items", report.ToJson());
    }

    [Fact]
    public void Queries_ColdSplit_SkipsEachUsersFirstEvent()
    {
        using var data = ThreeUsers();
        var q = Evaluator.Queries(data, DataSplit.Test);
        Assert.Equal([new(0, 1), new(0, 2), new(0, 3), new(0, 4), new ScoreQuery(2, 8)], q);
        Assert.Equal([new ScoreQuery(1, 6)], Evaluator.Queries(data, DataSplit.Train));
    }

    [Fact]
    public void Evaluate_ScoreDatasetValidation_ThrowsUserInput()
    {
        using var data = _sets.Cold(3, [new TestUser(1, DataSplit.Test, (0, 0), (1, 1))], kind: "score");
        Assert.Throws<UserInputException>(() => Evaluator.Evaluate(data, new FixedModel((_, i) => i), DataSplit.Validation));
        Assert.Equal(1, Evaluator.Evaluate(data, new FixedModel((_, i) => i), DataSplit.Test).Metrics.Event.N);
    }

    [Fact]
    public void Evaluate_SmallBatches_KeepUsersWholeAndGiveSameMetrics()
    {
        var users = new List<TestUser>();
        var rng = new Random(7);
        for (int u = 0; u < 40; u++)
        {
            int len = rng.Next(2, 9);
            users.Add(new TestUser(u, DataSplit.Test, [.. Enumerable.Range(0, len).Select(k => (rng.Next(50), (long)k * Min * rng.Next(1, 60)))]));
        }
        using var data = _sets.Cold(50, users);
        var scores = Enumerable.Range(0, 50).Select(_ => (float)rng.Next(10)).ToArray();
        var big = Evaluator.Evaluate(data, new FixedModel((_, i) => scores[i]), DataSplit.Test);
        var model = new FixedModel((_, i) => scores[i]);
        var small = Evaluator.Evaluate(data, model, DataSplit.Test, new EvaluationOptions { BatchSize = 5, MaxDegreeOfParallelism = 2 });
        Assert.Equal(big.Metrics, small.Metrics);
        Assert.True(model.Batches.Count > 10);
        Assert.All(model.Batches, b => Assert.InRange(b.Length, 1, 5));
        for (int i = 1; i < model.Batches.Count; i++)
        {
            var prev = model.Batches[i - 1];
            // A user continues into the next batch only when it filled the previous one on its own.
            if (prev[^1].User == model.Batches[i][0].User)
            {
                Assert.All(prev, q => Assert.Equal(prev[0].User, q.User));
            }
        }
        Assert.Equal(Evaluator.Queries(data, DataSplit.Test), model.Batches.SelectMany(b => b));
    }

    [Fact]
    public void Evaluate_KeepEventResults_RecordsCovariates()
    {
        using var data = ThreeUsers();
        var report = Evaluator.Evaluate(data, new FixedModel((_, i) => -i), DataSplit.Test, new EvaluationOptions { KeepEventResults = true });
        var ev = report.Events!;
        Assert.Equal(5, ev.Length);
        Assert.Equal(new ScoredEvent(0, 1, 2, 1, 1, -1, 0, 0), ev[0]);
        Assert.Equal(new ScoredEvent(0, 3, 4, 3, 0, 98 * Min, 0, 0), ev[2]);
        Assert.True(ev[2].NewSession);
        Assert.Equal(new ScoredEvent(0, 4, 5, 4, 1, 98 * Min, 0, 0), ev[3]);
        Assert.Equal(new ScoredEvent(2, 8, 4, 1, 1, -1, 0, 0), ev[4]);
        string csv = Path.Combine(Path.GetTempPath(), $"hiertcn-events-{Guid.NewGuid():N}.csv");
        try
        {
            report.WriteEventsCsv(csv);
            var lines = File.ReadAllLines(csv);
            Assert.Equal(6, lines.Length);
            Assert.Equal("0,3,4,3,0,5880000,1,0,0", lines[3]);
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Fact]
    public void Evaluate_WithImpressions_RanksWithinPool()
    {
        using var data = _sets.Cold(6,
        [
            new TestUser(1, DataSplit.Test, (0, 0), (1, 1), (2, 2), (3, 3))
            {
                // Pools: none for the first event; [1,4,0] -> item 0 beats 1 (rank 2 of 3); [5] without the true item
                // -> rank 1 of 2; empty -> left out.
                Pools = [[], [1, 4, 0, 4], [5], []],
            },
        ]);
        var report = Evaluator.Evaluate(data, new FixedModel((_, i) => -i), DataSplit.Test, new EvaluationOptions { KeepEventResults = true });
        var pool = report.Impressions!;
        Assert.Equal(2, pool.Event.N);
        Assert.Equal(0.5, pool.Event.Recall1, 12);
        Assert.Equal((1 / 2.0 + 1) / 2, pool.Event.Mrr, 12);
        Assert.Equal((2 / 3.0 + 1 / 2.0) / 2, pool.Event.Mrp, 12);
        Assert.Equal(3, report.Metrics.Event.N);
        Assert.Equal((2, 3), (report.Events![0].PoolRank, report.Events[0].PoolSize));
    }

    [Fact]
    public void Report_Json_KeepsProtocolKeysAndRoundTrips()
    {
        using var data = ThreeUsers();
        var report = Evaluator.Evaluate(data, new FixedModel((_, i) => -i), DataSplit.Test, new EvaluationOptions { Seed = 42 });
        using var doc = JsonDocument.Parse(report.ToJson());
        var root = doc.RootElement;
        Assert.Equal("v1", root.GetProperty("protocol").GetString());
        Assert.Equal("test", root.GetProperty("split").GetString());
        Assert.Equal("fixed", root.GetProperty("model").GetString());
        var ds = root.GetProperty("dataset");
        Assert.Equal("abc", ds.GetProperty("sha256").GetString());
        Assert.Equal(3, ds.GetProperty("users").GetInt64());
        Assert.Equal(5, ds.GetProperty("items").GetInt64());
        Assert.Equal(9, ds.GetProperty("events").GetInt64());
        Assert.Equal(4, ds.GetProperty("sessions").GetInt64());
        foreach (string group in new[] { "event", "user", "new_session", "within_session" })
        {
            var g = root.GetProperty("metrics").GetProperty(group);
            foreach (string key in new[] { "recall@1", "recall@5", "recall@10", "recall@20", "mrr", "mrp", "n" })
            {
                Assert.Equal(JsonValueKind.Number, g.GetProperty(key).ValueKind);
            }
        }
        Assert.Equal(0.5, root.GetProperty("hyper_parameters").GetProperty("alpha").GetDouble());
        Assert.Equal(42, root.GetProperty("seed").GetInt64());
        Assert.True(root.GetProperty("peak_memory_bytes").GetInt64() > 0);

        string path = Path.Combine(Path.GetTempPath(), $"hiertcn-report-{Guid.NewGuid():N}.json");
        try
        {
            report.WriteJson(path);
            var back = EvaluationReport.ReadJson(path);
            Assert.Equal(report.Metrics, back.Metrics);
            Assert.Contains("within_session", report.FormatTable());
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using HierTcn.Formats.Bundles;
using HierTcn.Inference.Internal;
using HierTcn.StateStore.Client;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>The warm-up a model version runs before it takes traffic (RecommenderOptions.WarmupMilliseconds): every
/// graph of its serving path runs, within the budget; the ONNX run metrics do not count it and the step cache keeps
/// none of its made-up users. Whether it shortens a cold server's first seconds is a benchmark (bench/RESULTS.md), not a
/// test: the runtime here has compiled the path already for other tests.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class WarmupTests(ServedModelFixture model)
{
    private static readonly DateTime Far = DateTime.MaxValue;

    private RecommenderEngine Start(IStateStore store, IRecommenderMetrics? metrics, int warmupMilliseconds, bool incremental = true) =>
        RecommenderEngine.Start(new RecommenderOptions
        {
            BundlesDirectory = model.BundlesDirectory,
            SnapshotsDirectory = model.SnapshotsDirectory,
            Models = [new ModelArmOptions { Version = "v1" }],
            SnapshotPollInterval = TimeSpan.Zero,
            IncrementalEmbedding = incremental,
            WarmupMilliseconds = warmupMilliseconds,
        }, store, metrics);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Start_WarmsUpEveryGraphOfTheServingPath_UncountedAndUncached(bool incremental)
    {
        await using var store = new ScriptedStateStore();
        var metrics = new RecordingMetrics();
        // A budget the small model never reaches: every round runs.
        await using var engine = Start(store, metrics, warmupMilliseconds: 60_000, incremental);
        var served = engine.ModelOf("v1");

        var run = served.WarmupRun;
        Assert.Equal(2 * ServedModel.WarmupRounds, run.Batches);
        string embed = incremental ? GraphRoles.EmbedStep : GraphRoles.Embed;
        Assert.Equal(new[] { embed, GraphRoles.Score, GraphRoles.Update }.Order(), run.Roles.Order());
        Assert.Empty(metrics.Runs);
        Assert.Equal(0, served.StepCacheOccupied);

        // The first request is counted, so the empty counts above are the warm-up left out, not a recorder that misses runs.
        var outcome = await engine.RecommendAsync(new RecommendQuery(5, [], 10, [], TimestampMs: T0), Far);
        Assert.Equal(ServeStatus.Ok, outcome.Status);
        Assert.Equal(1, metrics.Runs[GraphRoles.Score]);
        Assert.Equal(1, metrics.Runs[embed]);
    }

    [Fact]
    public async Task Start_WarmupZero_RunsNoBatch()
    {
        await using var store = new ScriptedStateStore();
        await using var engine = Start(store, null, warmupMilliseconds: 0);
        var run = engine.ModelOf("v1").WarmupRun;
        Assert.Equal(0, run.Batches);
        Assert.Empty(run.Roles);
    }

    [Fact]
    public async Task Start_WarmupBudgetShort_StopsBeforeTheRounds()
    {
        await using var store = new ScriptedStateStore();
        await using var engine = Start(store, null, warmupMilliseconds: 1);
        var run = engine.ModelOf("v1").WarmupRun;
        // The budget is checked before each round, so the first round (one row, then a full batch) always runs.
        Assert.InRange(run.Batches, 2, 2 * ServedModel.WarmupRounds - 2);
    }

    [Fact]
    public async Task Start_WarmupNegative_RefusedByName()
    {
        await using var store = new ScriptedStateStore();
        var e = Assert.Throws<ArgumentException>(() => Start(store, null, warmupMilliseconds: -1));
        Assert.Contains("WarmupMilliseconds is -1", e.Message);
    }
}

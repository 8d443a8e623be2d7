using System.Text.Json;
using HierTcn.Cli.Commands;
using HierTcn.Data.Evaluation;
using HierTcn.Data.Preparation;

namespace HierTcn.Data.Tests.Baselines;

/// <summary><c>hiertcn baseline</c> run in-process on the Globo slice, as <c>./hiertcn</c> runs it.</summary>
[Collection(nameof(SerialCollection))]
public sealed class BaselineCommandTests : IDisposable
{
    private readonly TempDirectory _tmp = new();
    private readonly string _cold;

    public BaselineCommandTests()
    {
        _cold = _tmp.File("cold");
        DatasetPreparer.Prepare(RepoPaths.GloboSlice, _cold, new PrepareOptions());
    }

    public void Dispose() => _tmp.Dispose();

    private static (int Exit, string Error) Run(params string[] args)
    {
        var saved = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            return (BaselineCommand.Create().Parse(args).Invoke(), error.ToString());
        }
        finally
        {
            Console.SetError(saved);
        }
    }

    [Fact]
    public void Baseline_CoocOnSlice_WritesReportAndEventsCsv()
    {
        string report = _tmp.File("r.json");
        string events = _tmp.File("e.csv");
        var (exit, error) = Run("--data", _cold, "--model", "cooc", "--split", "validation", "--report", report, "--events-csv", events);
        Assert.True(exit == 0, error);
        var r = EvaluationReport.ReadJson(report);
        Assert.Equal("cooc", r.Model);
        Assert.Equal("validation", r.Split);
        Assert.True(r.Metrics.Event.N > 1000);
        // Transitions beat popularity by far on news clicks (REFERENCE.md: about 0.40 against 0.08 at Recall@10).
        Assert.InRange(r.Metrics.Event.Recall10, 0.25, 0.6);
        Assert.Equal(r.Metrics.Event.N + 1, File.ReadLines(events).Count());
    }

    [Fact]
    public void Baseline_SknnOptions_AreWrittenToReport()
    {
        string report = _tmp.File("k.json");
        var (exit, error) = Run("--data", _cold, "--model", "sknn", "--neighbours", "20", "--sample-size", "200",
            "--session-aware", "false", "--report", report);
        Assert.True(exit == 0, error);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(report));
        var hp = doc.RootElement.GetProperty("hyper_parameters");
        Assert.Equal(20, hp.GetProperty("k").GetInt32());
        Assert.Equal(200, hp.GetProperty("sample_size").GetInt32());
        Assert.False(hp.GetProperty("session_aware").GetBoolean());
    }

    [Fact]
    public void Baseline_ScoreDataset_ScoresItsUsersAndNamesFitDataset()
    {
        string score = _tmp.File("score");
        DatasetPreparer.Prepare(RepoPaths.GloboSlice, score, new PrepareOptions { CatalogFrom = _cold });
        string report = _tmp.File("s.json");
        var (exit, error) = Run("--data", _cold, "--model", "pop", "--score", score, "--report", report);
        Assert.True(exit == 0, error);
        var r = EvaluationReport.ReadJson(report);
        Assert.Equal("score", r.Dataset.SplitKind);
        Assert.Equal("cold", r.FitDataset!.SplitKind);
        Assert.Equal(r.Dataset.Users, r.ScoredUsers);
    }

    [Fact]
    public void Baseline_ScoreDatasetNotPreparedWithCatalogFrom_ExitsNonZeroWithClearError()
    {
        var (exit, error) = Run("--data", _cold, "--model", "pop", "--score", _cold);
        Assert.Equal(1, exit);
        Assert.Contains("prepare it with --catalog-from", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Baseline_ScoreWithValidationSplit_ExitsNonZero()
    {
        var (exit, error) = Run("--data", _cold, "--model", "pop", "--score", _cold, "--split", "validation");
        Assert.Equal(1, exit);
        Assert.Contains("section 9", error);
    }

    /// <summary>recentpop's window reaches the report; a window that is no positive number of minutes is refused.</summary>
    [Theory]
    [InlineData("0", 1)]
    [InlineData("-5", 1)]
    [InlineData("NaN", 1)]
    [InlineData("7.5", 0)]
    public void Baseline_RecentPopWindow_RecordedOrRefused(string minutes, int expectedExit)
    {
        string report = _tmp.File("recentpop.json");
        var (exit, error) = Run("--data", _cold, "--model", "recentpop", "--window-minutes", minutes, "--report", report);
        Assert.Equal(expectedExit, exit);
        if (exit != 0)
        {
            Assert.Contains("--window-minutes", error);
            return;
        }
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(report));
        Assert.Equal(7.5, json.RootElement.GetProperty("hyper_parameters").GetProperty("window_minutes").GetDouble());
    }

    [Fact]
    public void Baseline_MissingDataset_ExitsNonZeroNamingPrepare()
    {
        var (exit, error) = Run("--data", _tmp.File("nope"), "--model", "pop");
        Assert.Equal(1, exit);
        Assert.Contains("prepare", error);
    }

    [Fact]
    public void Baseline_UnknownModel_ExitsNonZero()
    {
        var (exit, _) = Run("--data", _cold, "--model", "gru");
        Assert.NotEqual(0, exit);
    }
}

using System.Text.Json;
using HierTcn.Cli.Commands;

namespace HierTcn.Data.Tests.Experiments;

/// <summary><c>hiertcn ab report</c> in-process on saved scrapes of two pods (output captured).</summary>
[Collection(nameof(SerialCollection))]
public sealed class AbCommandTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    // Pod A and pod B each saw half of both arms' traffic; summed: v1 1000 events, 400 hits@10; v2 1000, 450.
    private string Pod(string name, int hitsV1, int hitsV2) => _tmp.WriteText(name, $"""
        hiertcn_inference_online_lists_total{'{'}model_version="v1"{'}'} 600
        hiertcn_inference_online_lists_total{'{'}model_version="v2"{'}'} 550
        hiertcn_inference_online_next_events_total{'{'}model_version="v1"{'}'} 500
        hiertcn_inference_online_next_events_total{'{'}model_version="v2"{'}'} 500
        hiertcn_inference_online_hits_total{'{'}model_version="v1",k="10"{'}'} {hitsV1}
        hiertcn_inference_online_hits_total{'{'}model_version="v2",k="10"{'}'} {hitsV2}
        hiertcn_inference_online_reciprocal_rank_sum{'{'}model_version="v1"{'}'} 100
        hiertcn_inference_online_reciprocal_rank_sum{'{'}model_version="v2"{'}'} 115
        hiertcn_inference_online_reciprocal_rank_squares_total{'{'}model_version="v1"{'}'} 50
        hiertcn_inference_online_reciprocal_rank_squares_total{'{'}model_version="v2"{'}'} 60
        """);

    private static (int Exit, string Out, string Error) Run(params string[] args)
    {
        var (savedOut, savedError) = (Console.Out, Console.Error);
        var (output, error) = (new StringWriter(), new StringWriter());
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int exit = AbCommand.Create().Parse(args).Invoke();
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
        }
    }

    [Fact]
    public void Report_TwoSavedScrapes_SumsPodsAndNamesBetterArm()
    {
        string sources = Pod("a.prom", 200, 225) + "," + Pod("b.prom", 200, 225);
        var (exit, text, error) = Run("report", "--metrics", sources);
        Assert.True(exit == 0, error);
        Assert.Contains("v1 (control)", text);
        Assert.Contains("0.4000 [0.3696, 0.4304]", text);
        Assert.Contains("verdict: v2 is better than v1", text);

        var (jsonExit, json, _) = Run("report", "--metrics", sources, "--json", "--lift", "0.1");
        Assert.Equal(0, jsonExit);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("v2", doc.RootElement.GetProperty("better").GetString());
        Assert.Equal(1000, doc.RootElement.GetProperty("arms")[0].GetProperty("counts").GetProperty("matched_next_events").GetDouble());
        Assert.Equal(0.1, doc.RootElement.GetProperty("comparisons")[0].GetProperty("lift").GetDouble());
    }

    [Fact]
    public void Report_MissingFile_OneLineError()
    {
        var (exit, _, error) = Run("report", "--metrics", _tmp.File("nothing.prom"));
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error);
        Assert.Contains("nothing.prom", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Report_ScrapeWithoutOnlineSeries_SaysWhatIsMissing()
    {
        var (exit, _, error) = Run("report", "--metrics", _tmp.WriteText("x.prom", "process_cpu_seconds_total 1\n"));
        Assert.Equal(1, exit);
        Assert.Contains("no online A/B series found", error);
    }
}

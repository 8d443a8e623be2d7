using System.Text.Json;
using HierTcn.Data.Experiments;

namespace HierTcn.Data.Tests.Experiments;

/// <summary>Reading the online counters back from Prometheus scrapes: per version, summed over pods.</summary>
public sealed class OnlineScrapeTests
{
    private const string PodA = """
        # HELP hiertcn_inference_online_lists_total Sampled Recommend answers remembered as shown, by model version.
        # TYPE hiertcn_inference_online_lists_total counter
        hiertcn_inference_online_lists_total{model_version="v1"} 10
        hiertcn_inference_online_lists_total{model_version="v2"} 4
        hiertcn_inference_online_users_total{model_version="v1"} 3
        hiertcn_inference_online_next_events_total{model_version="v1"} 8
        hiertcn_inference_online_hits_total{model_version="v1",k="1"} 2
        hiertcn_inference_online_hits_total{model_version="v1",k="10"} 5
        hiertcn_inference_online_hits_total{model_version="v1",k="20"} 6
        hiertcn_inference_online_reciprocal_rank_sum{model_version="v1"} 3.25
        hiertcn_inference_online_reciprocal_rank_count{model_version="v1"} 8
        hiertcn_inference_online_reciprocal_rank_bucket{model_version="v1",le="+Inf"} 8
        hiertcn_inference_online_reciprocal_rank_squares_total{model_version="v1"} 2.5
        hiertcn_inference_online_unmatched_events_total{model_version="v1"} 1
        hiertcn_inference_calls_total{method="Recommend",code="OK"} 14
        """;

    private const string PodB = """
        hiertcn_inference_online_lists_total{model_version="v1"} 5
        hiertcn_inference_online_next_events_total{model_version="v1"} 4
        hiertcn_inference_online_hits_total{model_version="v1",k="10"} 1
        hiertcn_inference_online_reciprocal_rank_sum{model_version="v1"} 0.75
        process_cpu_seconds_total 1.5
        """;

    [Fact]
    public void Read_TwoPods_CountersSummedPerVersion()
    {
        var arms = OnlineScrape.Read([PodA, PodB]);
        Assert.Equal(["v1", "v2"], arms.Select(a => a.Version));
        var v1 = arms[0];
        Assert.Equal((15.0, 3.0, 12.0, 1.0), (v1.Recommendations, v1.Users, v1.NextEvents, v1.UnmatchedEvents));
        Assert.Equal((2.0, 0.0, 6.0, 6.0), (v1.Hits1, v1.Hits5, v1.Hits10, v1.Hits20));
        Assert.Equal((4.0, 2.5), (v1.ReciprocalRankSum, v1.ReciprocalRankSquares));
        Assert.Equal(4.0, arms[1].Recommendations);
        Assert.Equal(0.0, arms[1].NextEvents);
    }

    [Fact]
    public void Read_BadLine_ThrowsNamingIt()
    {
        var e = Assert.Throws<FormatException>(() => OnlineScrape.Read(["hiertcn_inference_online_lists_total{model_version=\"v1\" 3"]));
        Assert.Contains("lists_total", e.Message);
    }

    [Fact]
    public void ToJson_ArmWithoutEvents_NullsForUndefinedValues()
    {
        var report = AbReport.Build(OnlineScrape.Read([PodA, PodB]), control: "v1", lift: 0.1);
        using var json = JsonDocument.Parse(report.ToJson());
        var arms = json.RootElement.GetProperty("arms");
        Assert.Equal(0.5, arms[0].GetProperty("recall@10").GetProperty("value").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, arms[1].GetProperty("recall@10").GetProperty("value").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("better").ValueKind);
        Assert.Contains("n/a", report.ToText());
    }
}

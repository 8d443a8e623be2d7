using HierTcn.Data.Experiments;

namespace HierTcn.Data.Tests.Experiments;

/// <summary>
/// The report's intervals and tests against values computed by hand for one fixed case:
/// control v1: 1000 matched next events, 400 hits@10, sum of reciprocal ranks 200, sum of their squares 100;
/// treatment v2: 1000 matched next events, 450 hits@10, sum 230, squares 120. z = 1.959964 (97.5% normal quantile).
/// </summary>
public sealed class AbStatisticsTests
{
    private static readonly ArmCounts V1 = new() { Version = "v1", Users = 300, Recommendations = 1100, NextEvents = 1000, Hits10 = 400, ReciprocalRankSum = 200, ReciprocalRankSquares = 100 };
    private static readonly ArmCounts V2 = new() { Version = "v2", Users = 290, Recommendations = 1050, NextEvents = 1000, Hits10 = 450, ReciprocalRankSum = 230, ReciprocalRankSquares = 120 };

    [Fact]
    public void Proportion_FourHundredOfThousand_WaldInterval()
    {
        // p = 0.4; se = sqrt(0.4 x 0.6 / 1000) = sqrt(0.00024) = 0.0154919; 0.4 -+ 1.959964 x 0.0154919 = [0.369636, 0.430364].
        var e = AbStatistics.Proportion(400, 1000);
        Assert.Equal(0.4, e.Value, 12);
        Assert.Equal(0.0154919, e.StandardError, 6);
        Assert.Equal(0.369636, e.Low, 6);
        Assert.Equal(0.430364, e.High, 6);
    }

    [Fact]
    public void Mean_ReciprocalRanks_SampleVarianceInterval()
    {
        // mean = 200 / 1000 = 0.2; s^2 = (100 - 1000 x 0.2^2) / 999 = 60 / 999 = 0.0600601;
        // se = sqrt(0.0600601 / 1000) = 0.00774984; 0.2 -+ 1.959964 x 0.00774984 = [0.184811, 0.215189].
        var e = AbStatistics.Mean(200, 100, 1000);
        Assert.Equal(0.2, e.Value, 12);
        Assert.Equal(0.00774984, e.StandardError, 7);
        Assert.Equal(0.184811, e.Low, 6);
        Assert.Equal(0.215189, e.High, 6);
    }

    [Fact]
    public void Compare_FixedCase_DifferencesTestsAndPowerAsComputedByHand()
    {
        var c = ArmComparison.Of(ArmSummary.Of(V2), ArmSummary.Of(V1), lift: 0.05);

        // Recall@10: 0.45 - 0.40 = 0.05; se = sqrt(0.00024 + 0.45 x 0.55 / 1000) = sqrt(0.0004875) = 0.0220794;
        // 0.05 -+ 1.959964 x 0.0220794 = [0.006725, 0.093275].
        Assert.Equal(0.05, c.Recall10Difference.Value, 12);
        Assert.Equal(0.0220794, c.Recall10Difference.StandardError, 6);
        Assert.Equal(0.006725, c.Recall10Difference.Low, 6);
        Assert.Equal(0.093275, c.Recall10Difference.High, 6);
        // Pooled p = 850 / 2000 = 0.425; se = sqrt(0.425 x 0.575 x (1/1000 + 1/1000)) = 0.0221077;
        // z = 0.05 / 0.0221077 = 2.26166; p = 2 (1 - Phi(2.26166)) = 0.023719.
        Assert.Equal(2.26166, c.Recall10Z, 4);
        Assert.Equal(0.023719, c.Recall10P, 5);

        // MRR: 0.23 - 0.20 = 0.03; v2's s^2 = (120 - 1000 x 0.23^2) / 999 = 67.1 / 999 = 0.0671672, se 0.00819556;
        // se of the difference = sqrt(0.00774984^2 + 0.00819556^2) = 0.0112795; [0.007893, 0.052107];
        // z = 0.03 / 0.0112795 = 2.65969; p = 2 (1 - Phi(2.65969)) = 0.007821.
        Assert.Equal(0.03, c.MrrDifference.Value, 12);
        Assert.Equal(0.0112795, c.MrrDifference.StandardError, 6);
        Assert.Equal(0.007893, c.MrrDifference.Low, 6);
        Assert.Equal(0.052107, c.MrrDifference.High, 6);
        Assert.Equal(2.65969, c.MrrZ, 4);
        Assert.Equal(0.007821, c.MrrP, 5);

        // Power for a 5% lift of 0.40: p1 = 0.42, d = 0.02; se = sqrt(0.24/1000 + 0.42 x 0.58/1000) = 0.0219909;
        // d/se = 0.909467; power = Phi(0.909467 - 1.959964) + Phi(-0.909467 - 1.959964) = 0.146744 + 0.002057 = 0.14880.
        // Needed per arm (ratio 1): (1.959964 + 0.841621)^2 x (0.24 + 0.2436) / 0.02^2 = 7.848879 x 1209 = 9489.3.
        Assert.Equal(0.14880, c.Power, 4);
        Assert.False(c.EnoughTraffic);
        Assert.Equal(9489.3, c.NeededControlEvents, 1);
        Assert.Equal(9489.3, c.NeededTreatmentEvents, 1);
    }

    [Fact]
    public void Build_SignificantlyBetterTreatment_NamedBetter()
    {
        var report = AbReport.Build([V2, V1], control: null, lift: 0.05);
        Assert.Equal("v1", report.Control);                  // the arm with the most recommendations
        Assert.Equal("v2", report.Better);
        Assert.Contains("v2 is better than v1", report.Verdict);
        string text = report.ToText();
        Assert.Contains("0.4000 [0.3696, 0.4304]", text);
        Assert.Contains("+0.0500 [+0.0067, +0.0933]", text);
        Assert.Contains("p 0.0237", text);
    }

    [Fact]
    public void Build_SameArmsTwice_NoVerdict()
    {
        var report = AbReport.Build([V1, V1 with { Version = "v2" }], control: "v1", lift: 0.05);
        Assert.Null(report.Better);
        Assert.Equal(1.0, report.Comparisons[0].Recall10P, 9);
        Assert.Contains("no significant difference", report.Verdict);
    }

    [Fact]
    public void Build_UnknownControl_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => AbReport.Build([V1, V2], control: "v9", lift: 0.05));
        Assert.Contains("v9", e.Message);
    }

    [Fact]
    public void NormalCdf_KnownQuantiles_MatchTables()
    {
        Assert.Equal(0.5, AbStatistics.NormalCdf(0), 7);
        Assert.Equal(0.975, AbStatistics.NormalCdf(AbStatistics.Z975), 6);
        Assert.Equal(0.8, AbStatistics.NormalCdf(AbStatistics.Z80), 6);
        Assert.Equal(0.05, AbStatistics.TwoSidedP(AbStatistics.Z975), 6);
    }
}

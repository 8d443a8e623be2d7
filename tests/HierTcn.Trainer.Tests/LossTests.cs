using HierTcn.Trainer.Losses;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Tests;

/// <summary>Each loss against a computation written out by hand on two positions, four items of dimension 2.
/// Scores: u0 = (0.5, -1) gives e0..e3 scores 0.5, -1, -0.5, -1; u1 = (2, 0) gives 2, 0, 2, -2.
/// Targets: 2 and 1. Negatives: {0, 3} and {1, 3}, where 1 is row 1's own target and so is dropped.</summary>
public sealed class LossTests
{
    static LossTests() => Trainer.TorchRuntime.SetThreads(2);

    private static Tensor Items() => tensor(new float[] { 1, 0, 0, 1, 1, 1, -1, 0.5f }, [4, 2]);
    private static Tensor User() => tensor(new float[] { 0.5f, -1, 2, 0 }, [2, 2]);
    private static Tensor Targets() => tensor(new long[] { 2, 1 });
    private static Negatives Negs(float[]? logQ = null) => new(
        tensor(new long[] { 0, 3, 1, 3 }, [2, 2]), ones([2, 2], @bool), tensor(logQ ?? new float[4], [2, 2]));

    private static double LogSigmoid(double x) => -Math.Log(1 + Math.Exp(-x));

    private static double Loss(LossOptions o, Negatives? n = null) =>
        RankingLoss.Compute(o, User(), Targets(), Items(), n).item<float>();

    [Fact]
    public void Compute_FullCrossEntropy_MatchesHand()
    {
        double row0 = 0.5 + Math.Log(Math.Exp(0.5) + Math.Exp(-1) + Math.Exp(-0.5) + Math.Exp(-1));
        double row1 = 0 + Math.Log(Math.Exp(2) + Math.Exp(0) + Math.Exp(2) + Math.Exp(-2));
        Assert.Equal((row0 + row1) / 2, Loss(new LossOptions()), 5);
    }

    [Fact]
    public void Compute_FullCrossEntropyWithItemBias_AddsTheBiasToEveryScore()
    {
        // b = (1, 0, -1, 2): row 0 scores 1.5, -1, -1.5, 1 (target 2); row 1 scores 3, 0, 1, 0 (target 1).
        Tensor bias = tensor(new float[] { 1, 0, -1, 2 });
        double row0 = 1.5 + Math.Log(Math.Exp(1.5) + Math.Exp(-1) + Math.Exp(-1.5) + Math.Exp(1));
        double row1 = 0 + Math.Log(Math.Exp(3) + Math.Exp(0) + Math.Exp(1) + Math.Exp(0));
        Assert.Equal((row0 + row1) / 2, RankingLoss.Compute(new LossOptions(), User(), Targets(), Items(), null, bias).item<float>(), 5);
        // Sampled: positive 2 (-1.5) against negatives 0 (1.5) and 3 (1); row 1: positive 1 (0) against 3 (0).
        double s0 = 1.5 + Math.Log(Math.Exp(-1.5) + Math.Exp(1.5) + Math.Exp(1));
        double s1 = 0 + Math.Log(Math.Exp(0) + Math.Exp(0));
        Assert.Equal((s0 + s1) / 2, RankingLoss.Compute(new LossOptions { SampledSoftmax = true }, User(), Targets(), Items(), Negs(), bias).item<float>(), 5);
    }

    [Fact]
    public void Compute_FullCrossEntropyWithLabelSmoothing_MatchesHand()
    {
        // Row r with logits l, target t: (1 - e) (lse(l) - l_t) + e (lse(l) - mean(l)).
        double[] l0 = [0.5, -1, -0.5, -1];
        double[] l1 = [2, 0, 2, -2];
        double Row(double[] l, int t, double e)
        {
            double lse = Math.Log(l.Sum(Math.Exp));
            return (1 - e) * (lse - l[t]) + e * (lse - l.Average());
        }
        foreach (double e in new[] { 0.1, 0.5 })
        {
            Assert.Equal((Row(l0, 2, e) + Row(l1, 1, e)) / 2, Loss(new LossOptions { LabelSmoothing = e }), 5);
        }
        Assert.NotEqual(Loss(new LossOptions()), Loss(new LossOptions { LabelSmoothing = 0.1 }), 3);
    }

    [Theory]
    [InlineData(-0.1, LossKind.CrossEntropy, false)]
    [InlineData(1.0, LossKind.CrossEntropy, false)]
    [InlineData(double.NaN, LossKind.CrossEntropy, false)]
    [InlineData(0.1, LossKind.Bpr, false)]
    [InlineData(0.1, LossKind.CrossEntropy, true)]
    public void Validate_LabelSmoothing_OutOfRangeOrOtherLoss_IsAUserError(double e, LossKind kind, bool sampled)
    {
        var options = new LossOptions { Kind = kind, SampledSoftmax = sampled, LabelSmoothing = e };
        var error = Assert.Throws<Data.UserInputException>(options.Validate);
        Assert.Contains("--label-smoothing", error.Message);
        new LossOptions { LabelSmoothing = 0.1 }.Validate();
        new LossOptions { Kind = kind, SampledSoftmax = sampled }.Validate();
    }

    [Fact]
    public void Compute_SampledSoftmax_MatchesHandWithLogQCorrection()
    {
        float[] logQ = [(float)Math.Log(0.5), (float)Math.Log(0.25), 0, (float)Math.Log(0.1)];
        double[] l0 = [-0.5, 0.5 - Math.Log(0.5), -1 - Math.Log(0.25)];
        double[] l1 = [0, -2 - Math.Log(0.1)];                      // negative 1 is the target: dropped
        double Nll(double[] l) => -l[0] + Math.Log(l.Sum(Math.Exp));
        double expected = (Nll(l0) + Nll(l1)) / 2;
        Assert.Equal(expected, Loss(new LossOptions { SampledSoftmax = true }, Negs(logQ)), 5);
    }

    [Fact]
    public void Compute_L2_MatchesHand()
    {
        // (0.5-1)^2 + (-1-1)^2 = 4.25; (2-0)^2 + (0-1)^2 = 5
        Assert.Equal(4.625, Loss(new LossOptions { Kind = LossKind.L2 }), 5);
    }

    [Fact]
    public void Compute_Nce_MatchesHand()
    {
        double row0 = -(LogSigmoid(-0.5) + LogSigmoid(-0.5) + LogSigmoid(1));
        double row1 = -(LogSigmoid(0) + LogSigmoid(2));
        Assert.Equal((row0 + row1) / 2, Loss(new LossOptions { Kind = LossKind.Nce }, Negs()), 5);
    }

    [Fact]
    public void Compute_Bpr_MatchesHand()
    {
        double row0 = -(LogSigmoid(-0.5 - 0.5) + LogSigmoid(-0.5 + 1)) / 2;
        double row1 = -LogSigmoid(0 + 2);
        Assert.Equal((row0 + row1) / 2, Loss(new LossOptions { Kind = LossKind.Bpr }, Negs()), 5);
    }

    [Fact]
    public void Compute_HingeWithMargin_MatchesHand()
    {
        // row 0: (max(0, 1 + 0.5 + 0.5) + max(0, 1 + 0.5 - 1)) / 2 = 1.25; row 1: max(0, 1 - 0 - 2) = 0
        Assert.Equal(0.625, Loss(new LossOptions { Kind = LossKind.Hinge, Margin = 1 }, Negs()), 5);
        // margin 3: row 0 (4 + 2.5) / 2 = 3.25; row 1: 3 - 0 - 2 = 1
        Assert.Equal(2.125, Loss(new LossOptions { Kind = LossKind.Hinge, Margin = 3 }, Negs()), 5);
    }

    [Fact]
    public void Compute_MaskedNegative_IsIgnored()
    {
        var n = Negs();
        n.Mask[0, 1] = false;                                          // drop item 3 from row 0
        double row0 = -LogSigmoid(-0.5 - 0.5);
        double row1 = -LogSigmoid(2);
        Assert.Equal((row0 + row1) / 2, Loss(new LossOptions { Kind = LossKind.Bpr }, n), 5);
    }

    [Fact]
    public void Sample_PopularityAlpha_FavoursPopularItems()
    {
        Trainer.TorchRuntime.Seed(3);
        long[] counts = [1000, 10, 10, 10];
        using var popular = new NegativeSampler(counts, 1.0, CPU);
        using var uniform = new NegativeSampler(counts, 0.0, CPU);
        var p = popular.Sample(2000, 5);
        var u = uniform.Sample(2000, 5);
        Assert.Equal([2000L, 5], p.Ids.shape);
        double popularShare = p.Ids.eq(0).to(float32).mean().item<float>();
        double uniformShare = u.Ids.eq(0).to(float32).mean().item<float>();
        Assert.InRange(popularShare, 0.95, 0.99);                      // 1000 / 1030 = 0.971
        Assert.InRange(uniformShare, 0.22, 0.28);
        Assert.Equal(Math.Log(0.25) + Math.Log(5), u.LogProbability[0, 0].item<float>(), 4);
        Assert.True(u.Ids.max().item<long>() <= 3 && u.Ids.min().item<long>() >= 0);
    }
}

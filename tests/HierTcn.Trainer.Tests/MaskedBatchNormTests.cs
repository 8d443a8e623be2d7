using HierTcn.Trainer.Models.Internal;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Tests;

/// <summary>The TCN's batch norm against a computation written out by hand: one channel, two rows, two steps, the
/// second row padding at step 1.</summary>
public sealed class MaskedBatchNormTests
{
    static MaskedBatchNormTests() => Trainer.TorchRuntime.SetThreads(2);

    // x[b, 0, t]: row 0 = (1, 5), row 1 = (3, 100); row 1 is padding at t = 1.
    private static Tensor X() => tensor(new float[] { 1, 5, 3, 100 }, [2, 1, 2]);
    private static Tensor Mask() => tensor(new float[] { 1, 1, 1, 0 }, [2, 1, 2]);

    [Fact]
    public void Forward_Training_NormalizesEachStepOverItsValidRowsAndUpdatesTheRunningStatistics()
    {
        using var bn = new MaskedBatchNorm("bn", 1);
        bn.train();
        float[] y = bn.Forward(X(), Mask()).data<float>().ToArray();
        // t = 0: mean 2, biased variance 1; t = 1: one valid row, mean 5, variance 0.
        double s = Math.Sqrt(1 + 1e-5);
        Assert.Equal(-1 / s, y[0], 4);  // row 0, t = 0
        Assert.Equal(0, y[1], 4);       // row 0, t = 1
        Assert.Equal(1 / s, y[2], 4);   // row 1, t = 0
        var state = bn.state_dict();
        // Running statistics: 0.9 x start + 0.1 x the mean over the two steps of the per-step statistics.
        Assert.Equal(0.1 * (2 + 5) / 2, state["running_mean"].item<float>(), 5);
        Assert.Equal(0.9 + 0.1 * (1 + 0) / 2, state["running_var"].item<float>(), 5);
    }

    [Fact]
    public void Forward_Evaluation_UsesTheRunningStatisticsAndTheAffineParameters()
    {
        using var bn = new MaskedBatchNorm("bn", 1);
        using (no_grad())
        {
            bn.state_dict()["running_mean"].copy_(tensor(new float[] { 2 }));
            bn.state_dict()["running_var"].copy_(tensor(new float[] { 4 }));
            bn.state_dict()["weight"].copy_(tensor(new float[] { 3 }));
            bn.state_dict()["bias"].copy_(tensor(new float[] { -1 }));
        }
        bn.eval();
        float[] y = bn.Forward(X(), Mask()).data<float>().ToArray();
        double s = Math.Sqrt(4 + 1e-5);
        Assert.Equal((1 - 2) / s * 3 - 1, y[0], 4);
        Assert.Equal((5 - 2) / s * 3 - 1, y[1], 4);
        Assert.Equal((3 - 2) / s * 3 - 1, y[2], 4);
    }
}

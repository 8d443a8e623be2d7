using HierTcn.Trainer.Training.Internal;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Tests;

public sealed class FusedAdamTests
{
    static FusedAdamTests() => TorchRuntime.SetThreads(2);

    [Theory]
    [InlineData(1e-3, 1)]
    [InlineData(3e-2, 1)]
    [InlineData(1e-3, 2)]
    [InlineData(3e-2, 3)]
    public void Step_SameGradients_FollowsTorchSharpsAdam(double lr, int parallelism)
    {
        // Shapes either side of the one-pass chunk (65,536 floats, split across threads) and below a vector's width.
        long[][] shapes = [[3], [17, 5], [300, 257], [2521, 128]];
        TorchRuntime.Seed(5);
        var start = shapes.Select(s => randn(s)).ToList();
        var reference = start.Select(t => new Parameter(t.clone())).ToList();
        var fused = start.Select(t => new Parameter(t.clone())).ToList();
        using var adam = optim.Adam(reference, lr: lr);
        using var ours = new FusedAdam(fused, lr) { Parallelism = parallelism };
        for (int step = 0; step < 25; step++)
        {
            if (step == 10)
            {
                foreach (var g in adam.ParamGroups) { g.LearningRate = lr * 0.3; }
                foreach (var g in ours.ParamGroups) { g.LearningRate = lr * 0.3; }
            }
            for (int i = 0; i < shapes.Length; i++)
            {
                Tensor grad = randn(shapes[i]) * (step % 3 + 0.1);
                reference[i].grad = grad.clone();
                fused[i].grad = grad.clone();
            }
            adam.step();
            ours.step();
        }
        for (int i = 0; i < shapes.Length; i++)
        {
            Assert.False(start[i].eq(fused[i]).all().item<bool>(), "the parameters moved");
            double diff = (reference[i] - fused[i]).abs().max().item<float>();
            Assert.True(diff < 1e-6 + 1e-5 * lr * 25, $"parameter {i}: max difference {diff}");
        }
    }

    [Fact]
    public void SaveAndLoad_StateDict_ResumesTheSameTrajectory()
    {
        TorchRuntime.Seed(6);
        var p1 = new Parameter(randn(1000));
        var p2 = new Parameter(p1.detach().clone());
        using var a = new FusedAdam([p1], 1e-2);
        using var b = new FusedAdam([p2], 1e-2);
        var grads = Enumerable.Range(0, 6).Select(_ => randn(1000)).ToList();
        for (int s = 0; s < 3; s++)
        {
            p1.grad = grads[s].clone();
            a.step();
        }
        string file = Path.GetTempFileName();
        try
        {
            a.save_state_dict(file);
            using (no_grad())
            {
                p2.copy_(p1);
            }
            b.load_state_dict(file);
            for (int s = 3; s < 6; s++)
            {
                p1.grad = grads[s].clone();
                p2.grad = grads[s].clone();
                a.step();
                b.step();
            }
            Assert.True(p1.eq(p2).all().item<bool>());
        }
        finally
        {
            File.Delete(file);
        }
    }
}

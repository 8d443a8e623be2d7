using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models.Internal;

/// <summary>
/// Batch normalization over [B, C, T] with per-time-step statistics (paper section 3.5.3): in training, position t
/// is normalized by the mean and variance of channel c over the batch rows that are valid at t, so padding never
/// enters the statistics and no position sees statistics of a later one. The running statistics ([C], PyTorch's
/// names) average the per-step statistics over valid positions and are what evaluation uses.
/// </summary>
internal sealed class MaskedBatchNorm : nn.Module
{
#pragma warning disable IDE1006 // PyTorch names: the fields are the weight names.
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;
#pragma warning restore IDE1006
    private const double Eps = 1e-5;
    private const double Momentum = 0.1;

    public MaskedBatchNorm(string name, int channels) : base(name)
    {
        weight = new Parameter(ones(channels));
        bias = new Parameter(zeros(channels));
        running_mean = zeros(channels);
        running_var = ones(channels);
        RegisterComponents();
    }

    /// <param name="x">[B, C, T]</param>
    /// <param name="mask">[B, 1, T] float, 1 at valid positions.</param>
    public Tensor Forward(Tensor x, Tensor mask)
    {
        Tensor w = weight.view(1, -1, 1);
        Tensor b = bias.view(1, -1, 1);
        if (!training)
        {
            return Normalize(x, running_mean.view(1, -1, 1), running_var.view(1, -1, 1), w, b);
        }
        Tensor count = Arith.ClampMin(mask.sum(0, keepdim: true), 1);       // [1, 1, T]
        Tensor mean = (x * mask).sum(0, keepdim: true) / count;             // [1, C, T]
        Tensor var = (Arith.Sub(x, mean).square() * mask).sum(0, keepdim: true) / count;
        using (no_grad())
        {
            Tensor steps = Arith.Greater(mask.sum(0, keepdim: true), 0).to(x.dtype); // positions with any valid row
            Tensor n = Arith.ClampMin(steps.sum(), 1);
            Arith.AddScaledInPlace(Arith.MulInPlace(running_mean, 1 - Momentum), (mean * steps).sum([0, 2]) / n, Momentum);
            Arith.AddScaledInPlace(Arith.MulInPlace(running_var, 1 - Momentum), (var * steps).sum([0, 2]) / n, Momentum);
        }
        return Normalize(x, mean, var, w, b);
    }

    /// <summary>(x - mean) / sqrt(var + eps) * w + b.</summary>
    private static Tensor Normalize(Tensor x, Tensor mean, Tensor var, Tensor w, Tensor b) =>
        Arith.Add(Arith.Sub(x, mean) / Arith.Plus(var, Eps).sqrt() * w, b);
}

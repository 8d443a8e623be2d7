using HierTcn.Trainer.Models.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Tests;

/// <summary>The causal convolution runs only the taps that can reach an input (<see cref="TemporalBlock"/>): on a short
/// sequence it must compute what the full kernel computes, forward and backward.</summary>
public sealed class TemporalConvTests
{
    static TemporalConvTests() => TorchRuntime.SetThreads(2);

    [Theory]
    [InlineData(5, 1, 1, 1)]
    [InlineData(5, 1, 2, 2)]
    [InlineData(5, 1, 5, 5)]
    [InlineData(5, 1, 99, 5)]
    [InlineData(5, 8, 1, 1)]
    [InlineData(5, 8, 8, 1)]
    [InlineData(5, 8, 9, 2)]
    [InlineData(5, 8, 33, 5)]
    [InlineData(3, 4, 6, 2)]
    public void Taps_TapReachesAnInputIffItsOffsetIsBelowTheLength(int kernel, int dilation, long steps, int expected)
    {
        Assert.Equal(expected, TemporalBlock.Taps(kernel, dilation, steps));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(20)]
    public void Forward_ShortSequence_EqualsTheFullKernelOnALongerOne(int steps)
    {
        // Causal: the first T outputs of a sequence depend only on its first T inputs. A sequence of 40 steps runs every
        // tap of every block (dilations 1..8, kernel 5: offsets up to 32), one of T steps runs only the reachable taps.
        TorchRuntime.Seed(3);
        using var net = new TemporalConvNet("tcn", 6, 5, 4, 5, batchNorm: false, dropout: 0);
        Tensor longInput = randn(3, 40, 6);
        Tensor shortInput = longInput.narrow(1, 0, steps).clone();
        Tensor fullOut = net.Forward(longInput, ones(3, 40, dtype: ScalarType.Bool)).narrow(1, 0, steps);
        Tensor weights = randn(3, steps, 5);
        (fullOut * weights).sum().backward();
        var fullGrads = net.parameters().Select(p => p.grad!.clone()).ToList();
        net.zero_grad();

        Tensor shortOut = net.Forward(shortInput, ones(3, steps, dtype: ScalarType.Bool));
        (shortOut * weights).sum().backward();
        var shortGrads = net.parameters().Select(p => p.grad!.clone()).ToList();

        Assert.Equal(fullOut.shape, shortOut.shape);
        Assert.True(allclose(fullOut, shortOut, rtol: 1e-5, atol: 1e-6), $"outputs differ by {(fullOut - shortOut).abs().max().item<float>()}");
        Assert.Equal(fullGrads.Count, shortGrads.Count);
        for (int i = 0; i < fullGrads.Count; i++)
        {
            Assert.True(allclose(fullGrads[i], shortGrads[i], rtol: 1e-4, atol: 1e-5),
                $"gradient {i} differs by {(fullGrads[i] - shortGrads[i]).abs().max().item<float>()}");
        }
        // The deep blocks' unreachable taps get no gradient from a short sequence: exactly zero, not approximately.
        if (steps <= 8)
        {
            Tensor deepest = net.named_parameters().Single(p => p.name == "blocks.3.conv1.weight").parameter.grad!;
            Assert.Equal(0f, deepest.narrow(2, 0, 4).abs().sum().item<float>());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(45)]
    public void Forward_EqualsPaddedConvolutions(int steps)
    {
        // The block as the paper writes it (and as this code ran before the matrix-product form): left padding of
        // (K-1)*dilation and a full-kernel Conv1d over [B, C, T], relu, again, plus the residual (1x1 conv when the
        // widths differ), relu.
        TorchRuntime.Seed(4);
        using var net = new TemporalConvNet("tcn", 6, 5, 4, 3, batchNorm: false, dropout: 0);
        var w = net.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        Tensor x = randn(2, steps, 6);
        Tensor h = x.transpose(1, 2);
        for (int b = 0; b < 4; b++)
        {
            long pad = 2L << b;                                              // (K-1) * 2^b, K = 3
            Tensor y = nn.functional.relu(nn.functional.conv1d(nn.functional.pad(h, [pad, 0]), w[$"blocks.{b}.conv1.weight"], w[$"blocks.{b}.conv1.bias"], dilation: 1L << b));
            y = nn.functional.relu(nn.functional.conv1d(nn.functional.pad(y, [pad, 0]), w[$"blocks.{b}.conv2.weight"], w[$"blocks.{b}.conv2.bias"], dilation: 1L << b));
            Tensor residual = b == 0 ? nn.functional.conv1d(h, w["blocks.0.downsample.weight"], w["blocks.0.downsample.bias"]) : h;
            h = nn.functional.relu(y + residual);
        }
        Tensor expected = h.transpose(1, 2);
        Tensor actual = net.Forward(x, ones(2, steps, dtype: ScalarType.Bool));
        Assert.True(allclose(expected, actual, rtol: 1e-5, atol: 1e-6), $"differ by {(expected - actual).abs().max().item<float>()}");
    }
}

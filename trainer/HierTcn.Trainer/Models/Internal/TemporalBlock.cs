using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models.Internal;

/// <summary>Two causal dilated convolutions with a residual connection (paper section 3.3.2): the input is padded on
/// the left by (K-1)*dilation, so output t reads inputs t - (K-1)*dilation .. t only.
/// y = relu(conv2(relu(conv1(x)))); out = relu(y + (downsample(x) or x)).</summary>
internal sealed class TemporalBlock : nn.Module
{
#pragma warning disable IDE1006 // PyTorch names: the fields are the weight names.
    private readonly Conv1d conv1;
    private readonly Conv1d conv2;
    private readonly Conv1d? downsample;
    private readonly MaskedBatchNorm? bn1;
    private readonly MaskedBatchNorm? bn2;
#pragma warning restore IDE1006
    private readonly int _kernel;
    private readonly int _dilation;
    private readonly double _dropout;

    public TemporalBlock(string name, int input, int channels, int kernel, int dilation, bool batchNorm, double dropout) : base(name)
    {
        conv1 = nn.Conv1d(input, channels, kernel, dilation: dilation);
        conv2 = nn.Conv1d(channels, channels, kernel, dilation: dilation);
        downsample = input != channels ? nn.Conv1d(input, channels, 1) : null;
        bn1 = batchNorm ? new MaskedBatchNorm("bn1", channels) : null;
        bn2 = batchNorm ? new MaskedBatchNorm("bn2", channels) : null;
        _kernel = kernel;
        _dilation = dilation;
        _dropout = dropout;
        RegisterComponents();
    }

    /// <param name="x">[B, T, C_in], time second (the layout of the GRUs and of the rows the scores read).</param>
    /// <param name="mask">[B, 1, T] float, 1 at valid positions (used by batch norm only).</param>
    /// <returns>[B, T, C].</returns>
    public Tensor Forward(Tensor x, Tensor mask)
    {
        Tensor y = Causal(conv1, x);
        if (bn1 is not null)
        {
            y = bn1.Forward(y.transpose(1, 2), mask).transpose(1, 2);
        }
        y = nn.functional.relu(y);
        if (training && _dropout > 0)
        {
            y = nn.functional.dropout(y, _dropout, training: true);
        }
        y = Causal(conv2, y);
        if (bn2 is not null)
        {
            y = bn2.Forward(y.transpose(1, 2), mask).transpose(1, 2);
        }
        y = nn.functional.relu(y);
        if (training && _dropout > 0)
        {
            y = nn.functional.dropout(y, _dropout, training: true);
        }
        Tensor residual = downsample is null ? x : nn.functional.linear(x, downsample.weight!.squeeze(2), downsample.bias);
        return nn.functional.relu(y + residual);
    }

    /// <summary>
    /// The causal dilated convolution of <paramref name="conv"/>'s weights over x [B, T, C_in] as one matrix product:
    /// output t reads inputs t - (K-1)*dilation .. t (zeros before the start), i.e. the rows of x shifted by
    /// 0, dilation, .., (K-1)*dilation placed side by side, times the kernel laid out as [C_out, K*C_in]. A tap j steps
    /// back reads only zeros at every t when j*dilation >= T, so only the <see cref="Taps"/> newest taps run: the same
    /// function with fewer products, which on short sessions (most of them) skips most of the deep blocks' work. A
    /// matrix product rather than the convolution kernel: the queue generator's batches come in hundreds of shapes, and
    /// oneDNN's convolution prepares each new shape (measured: with rows split by length, shapes multiplied and the
    /// convolution kernel's epoch took twice as long; the matrix product did not mind).
    /// </summary>
    private Tensor Causal(Conv1d conv, Tensor x)
    {
        long steps = x.shape[1];
        int taps = Taps(_kernel, _dilation, steps);
        Tensor weight = conv.weight!;                                                // [C_out, C_in, K]
        Tensor kernel = weight.narrow(2, _kernel - taps, taps).permute(0, 2, 1).reshape(weight.shape[0], -1);
        Tensor input = x;
        if (taps > 1)
        {
            Tensor padded = nn.functional.pad(x, [0, 0, (long)(taps - 1) * _dilation, 0]);
            var shifted = new Tensor[taps];
            for (int i = 0; i < taps; i++)
            {
                shifted[i] = padded.narrow(1, (long)i * _dilation, steps);
            }
            input = cat(shifted, 2);                                                 // [B, T, taps * C_in]
        }
        return nn.functional.linear(input, kernel, conv.bias);
    }

    /// <summary>How many of a kernel's taps (the newest first) can read a real input in a sequence of
    /// <paramref name="steps"/>: tap j (j steps of <paramref name="dilation"/> back) reaches one iff j*dilation &lt; steps.</summary>
    internal static int Taps(int kernel, int dilation, long steps) =>
        (int)Math.Min(kernel, Math.Max(1, (steps - 1) / dilation + 1));
}

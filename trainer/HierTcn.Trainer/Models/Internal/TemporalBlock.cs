using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models.Internal;

/// <summary>Two causal dilated convolutions with a residual connection (paper section 3.3.2): the input is padded on
/// the left by (K-1)*dilation, so output t reads inputs t - (K-1)*dilation .. t only.
/// y = relu(conv2(relu(conv1(x)))); out = relu(y + (downsample(x) or x)). Gated (<c>gate1</c>, <c>gate2</c>: convolutions
/// of the same shapes), each relu(conv(x)) becomes conv(x) * sigmoid(gate(x)), the gated linear unit of gated
/// convolutional networks: a multiplicative interaction of the inputs (the item with the user state) like a GRU's gates.</summary>
internal sealed class TemporalBlock : nn.Module
{
#pragma warning disable IDE1006 // PyTorch names: the fields are the weight names.
    private readonly Conv1d conv1;
    private readonly Conv1d conv2;
    private readonly Conv1d? downsample;
    private readonly Conv1d? gate1;
    private readonly Conv1d? gate2;
    private readonly MaskedBatchNorm? bn1;
    private readonly MaskedBatchNorm? bn2;
    private readonly LayerNorm? ln1;
    private readonly LayerNorm? ln2;
#pragma warning restore IDE1006
    private readonly int _kernel;
    private readonly int _dilation;
    private readonly double _dropout;
    private readonly int? _allTapColumns;
    private Tensor? _tapMask;

    /// <param name="allTapColumns">Null: every input column is read at every tap. Otherwise only the first this-many
    /// input columns are; the first convolutions (conv1, gate1) read the others at the newest tap only (the row's own):
    /// their weights at the older taps start at zero and get no gradient, so the saved weights are an ordinary
    /// convolution's with zeros there, and an exported graph computes the same without knowing.</param>
    public TemporalBlock(string name, int input, int channels, int kernel, int dilation, bool batchNorm, double dropout, bool gated = false,
        int? allTapColumns = null, bool layerNorm = false) : base(name)
    {
        conv1 = nn.Conv1d(input, channels, kernel, dilation: dilation);
        conv2 = nn.Conv1d(channels, channels, kernel, dilation: dilation);
        gate1 = gated ? nn.Conv1d(input, channels, kernel, dilation: dilation) : null;
        gate2 = gated ? nn.Conv1d(channels, channels, kernel, dilation: dilation) : null;
        downsample = input != channels ? nn.Conv1d(input, channels, 1) : null;
        bn1 = batchNorm ? new MaskedBatchNorm("bn1", channels) : null;
        bn2 = batchNorm ? new MaskedBatchNorm("bn2", channels) : null;
        ln1 = layerNorm ? nn.LayerNorm(channels) : null;
        ln2 = layerNorm ? nn.LayerNorm(channels) : null;
        _kernel = kernel;
        _dilation = dilation;
        _dropout = dropout;
        if (allTapColumns is int columns && columns < input && kernel > 1)
        {
            _allTapColumns = columns;
            using var noGrad = no_grad();
            foreach (Conv1d? conv in new[] { conv1, gate1 })
            {
                conv?.weight!.mul_(TapMask(conv.weight!, columns));
            }
        }
        RegisterComponents();
    }

    /// <param name="x">[B, T, C_in], time second (the layout of the GRUs and of the rows the scores read).</param>
    /// <param name="mask">[B, 1, T] float, 1 at valid positions (used by batch norm only).</param>
    /// <returns>[B, T, C].</returns>
    public Tensor Forward(Tensor x, Tensor mask)
    {
        Tensor y = Half(conv1, gate1, bn1, ln1, x, mask, masked: true);
        y = Half(conv2, gate2, bn2, ln2, y, mask, masked: false);
        Tensor residual = downsample is null ? x : nn.functional.linear(x, downsample.weight!.squeeze(2), downsample.bias);
        return nn.functional.relu(Arith.Add(y, residual));
    }

    /// <summary>One convolution of the block with its normalisation, activation (relu, or the gate) and dropout.</summary>
    private Tensor Half(Conv1d conv, Conv1d? gate, MaskedBatchNorm? bn, LayerNorm? ln, Tensor x, Tensor mask, bool masked)
    {
        Tensor input = Shifted(x);
        Tensor y = Apply(conv, input, masked);
        if (bn is not null)
        {
            y = bn.Forward(y.transpose(1, 2), mask).transpose(1, 2);
        }
        if (ln is not null)
        {
            y = ln.forward(y);                                                       // over the channels of each row
        }
        y = gate is null ? nn.functional.relu(y) : y * nn.functional.sigmoid(Apply(gate, input, masked));
        if (training && _dropout > 0)
        {
            y = nn.functional.dropout(y, _dropout, training: true);
        }
        return y;
    }

    /// <summary>
    /// The input of a causal dilated convolution over x [B, T, C_in], for <see cref="Apply"/>'s one matrix product:
    /// output t reads inputs t - (K-1)*dilation .. t (zeros before the start), i.e. the rows of x shifted by
    /// 0, dilation, .., (K-1)*dilation placed side by side, times the kernel laid out as [C_out, K*C_in]. A tap j steps
    /// back reads only zeros at every t when j*dilation >= T, so only the <see cref="Taps"/> newest taps run: the same
    /// function with fewer products, which on short sessions (most of them) skips most of the deep blocks' work. A
    /// matrix product rather than the convolution kernel: the queue generator's batches come in hundreds of shapes, and
    /// oneDNN's convolution prepares each new shape (measured: with rows split by length, shapes multiplied and the
    /// convolution kernel's epoch took twice as long; the matrix product did not mind).
    /// </summary>
    private Tensor Shifted(Tensor x)
    {
        long steps = x.shape[1];
        int taps = Taps(_kernel, _dilation, steps);
        if (taps == 1)
        {
            return x;
        }
        Tensor padded = nn.functional.pad(x, [0, 0, (long)(taps - 1) * _dilation, 0]);
        var shifted = new Tensor[taps];
        for (int i = 0; i < taps; i++)
        {
            shifted[i] = padded.narrow(1, (long)i * _dilation, steps);
        }
        return cat(shifted, 2);                                                      // [B, T, taps * C_in]
    }

    /// <summary><paramref name="conv"/>'s newest taps over the <see cref="Shifted"/> input.</summary>
    private Tensor Apply(Conv1d conv, Tensor shifted, bool masked)
    {
        Tensor weight = conv.weight!;                                                // [C_out, C_in, K]
        if (masked && _allTapColumns is int columns)
        {
            weight = weight * TapMask(weight, columns);
        }
        int taps = (int)(shifted.shape[2] / weight.shape[1]);
        Tensor kernel = weight.narrow(2, _kernel - taps, taps).permute(0, 2, 1).reshape(weight.shape[0], -1);
        return nn.functional.linear(shifted, kernel, conv.bias);
    }

    /// <summary>1 where a first convolution's weight may be non-zero: every tap of the first <paramref name="columns"/>
    /// input columns, the newest tap of the others. Made once per device, outside any dispose scope.</summary>
    private Tensor TapMask(Tensor weight, int columns)
    {
        if (_tapMask is null || _tapMask.device != weight.device)
        {
            var m = ones(weight.shape, dtype: weight.dtype, device: weight.device);
            m.narrow(1, columns, weight.shape[1] - columns).narrow(2, 0, _kernel - 1).zero_();
            _tapMask = m.DetachFromDisposeScope();
        }
        return _tapMask;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _tapMask?.Dispose();
            _tapMask = null;
        }
        base.Dispose(disposing);
    }

    /// <summary>How many of a kernel's taps (the newest first) can read a real input in a sequence of
    /// <paramref name="steps"/>: tap j (j steps of <paramref name="dilation"/> back) reaches one iff j*dilation &lt; steps.</summary>
    internal static int Taps(int kernel, int dilation, long steps) =>
        (int)Math.Min(kernel, Math.Max(1, (steps - 1) / dilation + 1));
}

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
    private readonly long _padding;
    private readonly double _dropout;

    public TemporalBlock(string name, int input, int channels, int kernel, int dilation, bool batchNorm, double dropout) : base(name)
    {
        conv1 = nn.Conv1d(input, channels, kernel, dilation: dilation);
        conv2 = nn.Conv1d(channels, channels, kernel, dilation: dilation);
        downsample = input != channels ? nn.Conv1d(input, channels, 1) : null;
        bn1 = batchNorm ? new MaskedBatchNorm("bn1", channels) : null;
        bn2 = batchNorm ? new MaskedBatchNorm("bn2", channels) : null;
        _padding = (long)(kernel - 1) * dilation;
        _dropout = dropout;
        RegisterComponents();
    }

    /// <param name="x">[B, C_in, T]</param>
    /// <param name="mask">[B, 1, T] float, 1 at valid positions (used by batch norm only).</param>
    public Tensor Forward(Tensor x, Tensor mask)
    {
        Tensor y = conv1.forward(nn.functional.pad(x, [_padding, 0]));
        if (bn1 is not null)
        {
            y = bn1.Forward(y, mask);
        }
        y = nn.functional.relu(y);
        if (training && _dropout > 0)
        {
            y = nn.functional.dropout(y, _dropout, training: true);
        }
        y = conv2.forward(nn.functional.pad(y, [_padding, 0]));
        if (bn2 is not null)
        {
            y = bn2.Forward(y, mask);
        }
        y = nn.functional.relu(y);
        if (training && _dropout > 0)
        {
            y = nn.functional.dropout(y, _dropout, training: true);
        }
        Tensor residual = downsample is null ? x : downsample.forward(x);
        return nn.functional.relu(y + residual);
    }
}

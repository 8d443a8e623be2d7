using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models.Internal;

/// <summary>A stack of <see cref="TemporalBlock"/>s (<c>blocks.i</c>), block i with dilation 2^i. Receptive field
/// 1 + 2 (K-1) (2^blocks - 1) positions.</summary>
internal sealed class TemporalConvNet : nn.Module
{
#pragma warning disable IDE1006 // PyTorch names: the fields are the weight names.
    private readonly ModuleList<TemporalBlock> blocks;
#pragma warning restore IDE1006

    /// <param name="allTapColumns">See <see cref="TemporalBlock"/>: the first block's input columns read at every tap
    /// (null: all).</param>
    public TemporalConvNet(string name, int input, int channels, int blockCount, int kernel, bool batchNorm, double dropout, bool gated = false,
        int? allTapColumns = null, bool layerNorm = false) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        blocks = new ModuleList<TemporalBlock>();
        for (int i = 0; i < blockCount; i++)
        {
            blocks.Add(new TemporalBlock($"block{i}", i == 0 ? input : channels, channels, kernel, 1 << i, batchNorm, dropout, gated,
                i == 0 ? allTapColumns : null, layerNorm));
        }
        RegisterComponents();
    }

    /// <summary>x [B, T, in] (time second, like the GRUs) -> [B, T, C].</summary>
    public Tensor Forward(Tensor x, Tensor validMask)
    {
        Tensor h = x;
        Tensor mask = validMask.to(x.dtype).unsqueeze(1);
        foreach (TemporalBlock block in blocks)
        {
            h = block.Forward(h, mask);
        }
        return h;
    }
}

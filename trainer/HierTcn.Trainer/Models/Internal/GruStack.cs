using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models.Internal;

/// <summary>A stack of <see cref="GruLayer"/>s (<c>layers.k</c>); layer k &gt; 0 reads layer k-1's output. States are
/// [L, B, H] like PyTorch's nn.GRU.</summary>
internal sealed class GruStack : nn.Module
{
#pragma warning disable IDE1006 // PyTorch names: the fields are the weight names.
    private readonly ModuleList<GruLayer> layers;
#pragma warning restore IDE1006

    public GruStack(string name, int input, int hidden, int layerCount, double dropout) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layerCount, 1);
        layers = new ModuleList<GruLayer>();
        for (int k = 0; k < layerCount; k++)
        {
            layers.Add(new GruLayer($"layer{k}", k == 0 ? input : hidden, hidden, dropout));
        }
        Hidden = hidden;
        Layers = layerCount;
        RegisterComponents();
    }

    public int Hidden { get; }
    public int Layers { get; }

    /// <summary>One step for every layer: x [B, in], h [L, B, H] -> h' [L, B, H].</summary>
    public Tensor Step(Tensor x, Tensor h)
    {
        var next = new Tensor[Layers];
        Tensor input = x;
        for (int k = 0; k < Layers; k++)
        {
            next[k] = layers[k].Cell(layers[k].ProjectInput(input), h[k]);
            input = next[k];
        }
        return stack(next);
    }

    /// <summary>Runs the whole sequence x [B, T, in] from h0 [L, B, H]; returns the top layer's outputs [B, T, H].
    /// Layer by layer, so each layer's input projection is one matrix product over all positions.</summary>
    public Tensor Forward(Tensor x, Tensor h0)
    {
        long steps = x.shape[1];
        Tensor input = x;
        for (int k = 0; k < Layers; k++)
        {
            Tensor gi = layers[k].ProjectInput(input);
            Tensor h = h0[k];
            var outs = new Tensor[steps];
            for (long t = 0; t < steps; t++)
            {
                h = layers[k].Cell(gi.select(1, t), h);
                outs[t] = h;
            }
            input = stack(outs, 1);
        }
        return input;
    }
}

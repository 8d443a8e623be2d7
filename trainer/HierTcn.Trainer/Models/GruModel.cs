using HierTcn.Trainer.Models.Internal;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models;

/// <summary>Flat GRU stack (<c>gru</c>) over the user's whole sequence (paper baseline: 4 layers x 200).</summary>
public sealed class GruModel : FlatModel
{
#pragma warning disable IDE1006 // PyTorch names: the fields are the weight names.
    private readonly Embedding? item_embedding;
    private readonly Linear? item_projection;
    private readonly Parameter? item_bias;
    private readonly Parameter session_start;
    private readonly GruStack gru;
    private readonly Linear output;
#pragma warning restore IDE1006
    private readonly ItemLayer _items;

    public GruModel(ModelOptions options, ItemSource items) : base("Gru", options with { Kind = ModelKind.Gru }, items)
    {
        _items = new ItemLayer(items, Options);
        item_embedding = _items.Embedding;
        item_projection = _items.Projection;
        item_bias = _items.Bias;
        int d = _items.Dim;
        session_start = new Parameter(randn(d) / Math.Sqrt(d));
        gru = new GruStack("gru", d + 1, Options.LowHidden, Options.LowLayers, Options.Dropout);
        output = nn.Linear(Options.LowHidden, d);
        RegisterComponents();
    }

    private protected override ItemLayer ItemLayer => _items;

    public override Tensor Forward(Tensor items, Tensor sessionStarts, Tensor lengths)
    {
        Tensor h0 = zeros(Options.LowLayers, items.shape[0], Options.LowHidden, device: items.device);
        return output.forward(gru.Forward(Inputs(items, sessionStarts, session_start), h0));
    }
}

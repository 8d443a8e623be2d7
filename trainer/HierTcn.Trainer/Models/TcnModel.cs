using HierTcn.Trainer.Models.Internal;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models;

/// <summary>Flat TCN over the user's whole sequence (paper baseline: 6 blocks, dilations 1 to 32).</summary>
public sealed class TcnModel : FlatModel
{
#pragma warning disable IDE1006 // PyTorch names: the fields are the weight names.
    private readonly Embedding? item_embedding;
    private readonly Linear? item_projection;
    private readonly Parameter? item_bias;
    private readonly Parameter session_start;
    private readonly TemporalConvNet tcn;
    private readonly Linear output;
#pragma warning restore IDE1006
    private readonly ItemLayer _items;

    public TcnModel(ModelOptions options, ItemSource items) : base("Tcn", options with { Kind = ModelKind.Tcn }, items)
    {
        _items = new ItemLayer(items, Options);
        item_embedding = _items.Embedding;
        item_projection = _items.Projection;
        item_bias = _items.Bias;
        int d = _items.Dim;
        session_start = new Parameter(randn(d) / Math.Sqrt(d));
        tcn = new TemporalConvNet("tcn", d + 1, Options.TcnChannels, Options.TcnBlocks, Options.TcnKernel, Options.BatchNorm, Options.Dropout, Options.TcnGate, layerNorm: Options.LayerNorm);
        output = nn.Linear(Options.TcnChannels, d);
        RegisterComponents();
    }

    private protected override ItemLayer ItemLayer => _items;

    public override Tensor Forward(Tensor items, Tensor sessionStarts, Tensor lengths) =>
        output.forward(tcn.Forward(Inputs(items, sessionStarts, session_start), HierarchicalModel.ValidMask(lengths, items.shape[1])));
}

using HierTcn.Trainer.Models.Internal;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models;

/// <summary>HierGRU: <see cref="HierTcnModel"/> with a GRU stack (<c>low_gru</c>) as the low level, started from zero
/// in every session and reading the same inputs (previous item vector concatenated with the high-level top state).</summary>
public sealed class HierGruModel : HierarchicalModel
{
#pragma warning disable IDE1006 // PyTorch names: the fields are the weight names.
    private readonly Embedding? item_embedding;
    private readonly Linear? item_projection;
    private readonly Parameter? item_bias;
    private readonly Parameter? recent_pop_weight;
    private readonly Parameter session_start;
    private readonly Parameter user_start;
    private readonly GruStack high_gru;
    private readonly GruStack low_gru;
    private readonly Linear output;
    private readonly Linear? high_skip;
    private readonly Linear? item_skip;
    private readonly Linear? mean_skip;
#pragma warning restore IDE1006
    private readonly ItemLayer _items;

    public HierGruModel(ModelOptions options, ItemSource items) : base("HierGru", options with { Kind = ModelKind.HierGru }, items)
    {
        _items = new ItemLayer(items, Options);
        item_embedding = _items.Embedding;
        item_projection = _items.Projection;
        item_bias = _items.Bias;
        recent_pop_weight = _items.RecentPopWeight;
        int d = _items.Dim;
        session_start = new Parameter(randn(d) / Math.Sqrt(d));
        user_start = new Parameter(zeros(Options.HighLayers, Options.HighHidden));
        high_gru = new GruStack("high_gru", HighInputWidth(Options, d), Options.HighHidden, Options.HighLayers, Options.HighLevelDropout);
        low_gru = new GruStack("low_gru", d + Options.HighHidden, Options.LowHidden, Options.LowLayers, Options.Dropout);
        output = nn.Linear(Options.LowHidden, d);
        high_skip = Options.HighSkip ? nn.Linear(Options.HighHidden, d, hasBias: false) : null;
        item_skip = Options.ItemSkip ? nn.Linear(d, d, hasBias: false) : null;
        mean_skip = Options.MeanSkip ? nn.Linear(d, d, hasBias: false) : null;
        RegisterComponents();
    }

    private protected override ItemLayer ItemLayer => _items;

    public override (Tensor UserEmbeddings, HierarchicalState Next) Step(HierarchicalState state, Tensor items, Tensor lengths, Tensor newUser,
        Tensor? gapMinutes = null)
    {
        Tensor h = Advance(state.High, state.PendingLengths,
            () => high_gru.Step(HighInput(SessionMean(state.PendingItems, state.PendingLengths), gapMinutes), state.High), newUser, user_start);
        Tensor u = LowLevel(items, lengths, h[Options.HighLayers - 1]);
        return (u, new HierarchicalState(h, items, lengths, null));
    }

    public override bool ReadsWholeUsers => !Options.HighTimeGap;

    private protected override Tensor UserStart => user_start;

    private protected override Tensor HighStep(Tensor mean, Tensor high) => high_gru.Step(mean, high);

    private protected override Tensor LowLevel(Tensor items, Tensor lengths, Tensor top)
    {
        long steps = items.shape[1];
        Tensor previous = ShiftedInput(items, session_start);
        Tensor input = InputDropout(cat([previous, top.unsqueeze(1).expand(-1, steps, -1)], -1));
        Tensor low0 = zeros(Options.LowLayers, items.shape[0], Options.LowHidden, device: items.device);
        Tensor u = WithHighSkip(output.forward(low_gru.Forward(input, low0)), high_skip, top);
        return WithMeanSkip(WithItemSkip(u, item_skip, previous), mean_skip, () => RunningMean(previous));
    }
}

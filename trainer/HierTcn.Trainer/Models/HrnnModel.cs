using HierTcn.Trainer.Models.Internal;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models;

/// <summary>
/// HRNN (Quadrana et al. 2017): a session GRU over the session's items (start token first) whose initial state is
/// tanh(session_init(user state)) per layer; its top state at the session's last position (after reading x_{n-1}) updates the user GRU (CONTRACT.md).
/// u_t = output(session GRU top state at t).
/// </summary>
public sealed class HrnnModel : HierarchicalModel
{
#pragma warning disable IDE1006 // PyTorch names: the fields are the weight names.
    private readonly Embedding? item_embedding;
    private readonly Linear? item_projection;
    private readonly Parameter? item_bias;
    private readonly Parameter session_start;
    private readonly Parameter user_start;
    private readonly GruStack user_gru;
    private readonly GruStack session_gru;
    private readonly Linear session_init;
    private readonly Linear output;
#pragma warning restore IDE1006
    private readonly ItemLayer _items;

    public HrnnModel(ModelOptions options, ItemSource items) : base("Hrnn", options with { Kind = ModelKind.Hrnn }, items)
    {
        if (options.HighLayers != options.LowLayers)
        {
            throw new Data.UserInputException(
                $"hrnn: user and session GRUs need the same number of layers (high_layers {options.HighLayers}, low_layers {options.LowLayers}).");
        }
        _items = new ItemLayer(items, Options);
        item_embedding = _items.Embedding;
        item_projection = _items.Projection;
        item_bias = _items.Bias;
        int d = _items.Dim;
        session_start = new Parameter(randn(d) / Math.Sqrt(d));
        user_start = new Parameter(zeros(Options.HighLayers, Options.HighHidden));
        user_gru = new GruStack("user_gru", Options.LowHidden, Options.HighHidden, Options.HighLayers, Options.HighLevelDropout);
        session_gru = new GruStack("session_gru", d, Options.LowHidden, Options.LowLayers, Options.Dropout);
        session_init = nn.Linear(Options.HighHidden, Options.LowHidden);
        output = nn.Linear(Options.LowHidden, d);
        RegisterComponents();
    }

    private protected override ItemLayer ItemLayer => _items;

    public override HierarchicalState InitialState(int batch)
    {
        Device dev = Device;
        return new HierarchicalState(
            zeros(Options.HighLayers, batch, Options.HighHidden, device: dev),
            zeros([batch, 1], int64, dev), zeros([batch], int64, dev), zeros(batch, Options.LowHidden, device: dev));
    }

    public override (Tensor UserEmbeddings, HierarchicalState Next) Step(HierarchicalState state, Tensor items, Tensor lengths, Tensor newUser,
        Tensor? gapMinutes = null)
    {
        Tensor pendingVector = state.PendingVector ?? throw new ArgumentException("hrnn state lacks the pending session vector");
        Tensor user = Advance(state.High, state.PendingLengths, () => user_gru.Step(pendingVector, state.High), newUser, user_start);
        Tensor s0 = session_init.forward(user).tanh();
        // CONTRACT.md: the session GRU reads [start, x_1 .. x_{n-1}] and its top state at the last valid position updates
        // the user GRU, so the user level never sees a session's last item (kept as the contract says, for serving parity).
        Tensor top = session_gru.Forward(ShiftedInput(items, session_start), s0);              // [B, T, H]
        Tensor last = Arith.ClampMin(Arith.Minus(lengths, 1), 0).view(-1, 1, 1).expand(-1, 1, top.shape[2]);
        Tensor final = top.gather(1, last).squeeze(1);
        return (output.forward(top), new HierarchicalState(user, items, lengths, final));
    }
}

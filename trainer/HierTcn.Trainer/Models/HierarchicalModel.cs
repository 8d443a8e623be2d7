using static TorchSharp.torch;

namespace HierTcn.Trainer.Models;

/// <summary>A two-level model (HierTCN, HierGRU, HRNN) that reads one session per batch row per step.</summary>
public abstract class HierarchicalModel : RecommenderModel
{
    private protected HierarchicalModel(string name, ModelOptions options, ItemSource items) : base(name, options, items) { }

    /// <summary>State for <paramref name="batch"/> rows, all at a user's start: a zero high-level state, no pending
    /// session, nothing carried by the low level (HRNN overrides it to carry its session GRU state).</summary>
    public virtual HierarchicalState InitialState(int batch)
    {
        Device dev = Device;
        return new HierarchicalState(
            zeros(Options.HighLayers, batch, Options.HighHidden, device: dev),
            zeros([batch, 1], int64, dev), zeros([batch], int64, dev), null);
    }

    /// <summary>
    /// Reads one session per row. <paramref name="items"/> [B, T] int64 (padded at the end), <paramref name="lengths"/>
    /// [B] int64 (0 for a row with no session this step: its state is kept), <paramref name="newUser"/> [B] bool (the
    /// row's session is its user's first: the high-level state restarts from the learned user start).
    /// Returns u [B, T, d] where u[b, t] predicts items[b, t] from the session's items before t and the earlier
    /// sessions, and the state for the next step.
    /// </summary>
    public abstract (Tensor UserEmbeddings, HierarchicalState Next) Step(HierarchicalState state, Tensor items, Tensor lengths, Tensor newUser);

    /// <summary>Masked mean of the item vectors of each row's session: [B, T] ids, [B] lengths -> [B, d].</summary>
    private protected Tensor SessionMean(Tensor items, Tensor lengths)
    {
        Tensor mask = ValidMask(lengths, items.shape[1]).to(float32).unsqueeze(-1);
        Tensor sum = (ItemVectorsOf(items) * mask).sum(1);
        return sum / lengths.clamp_min(1).to(float32).unsqueeze(-1);
    }

    /// <summary>[B] lengths -> [B, T] bool, true at positions before the length.</summary>
    internal static Tensor ValidMask(Tensor lengths, long steps) =>
        arange(steps, device: lengths.device).unsqueeze(0) < lengths.unsqueeze(1);

    /// <summary>Low-level input items: the start token, then the session's items shifted right by one: [B, T, d].</summary>
    private protected Tensor ShiftedInput(Tensor items, Tensor sessionStart)
    {
        long b = items.shape[0];
        Tensor start = sessionStart.view(1, 1, -1).expand(b, 1, -1);
        if (items.shape[1] == 1)
        {
            return start;
        }
        Tensor prev = ItemVectorsOf(items.slice(1, 0, items.shape[1] - 1, 1));
        return cat([start, prev], 1);
    }

    /// <summary>Folds the pending session into the high state where one is pending, then restarts new users' rows.</summary>
    private protected static Tensor Advance(Tensor high, Tensor pendingLengths, Func<Tensor> update, Tensor newUser, Tensor userStart)
    {
        // The update runs even when no row has a pending session, so every parameter gets a (possibly zero) gradient
        // at every step: Adam's per-parameter step counts then stay equal, which keeps a resumed run exact.
        Tensor h = where((pendingLengths > 0).view(1, -1, 1), update(), high);
        Tensor start = userStart.unsqueeze(1).expand_as(h);
        return where(newUser.view(1, -1, 1), start, h);
    }
}

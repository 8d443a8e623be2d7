using HierTcn.Trainer.Models.Internal;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models;

/// <summary>A single-level model (TCN, GRU) over a user's whole sequence. The input at position j is the previous
/// event's item vector and a flag that is 1 when event j opens a session; position 0 reads the session start token.</summary>
public abstract class FlatModel : RecommenderModel
{
    private protected FlatModel(string name, ModelOptions options, ItemSource items) : base(name, options, items) { }

    /// <summary><paramref name="items"/> [B, T] int64 (padded at the end), <paramref name="sessionStarts"/> [B, T] float
    /// (1 where event t opens a session), <paramref name="lengths"/> [B] int64 -> u [B, T, d]; u[b, t] predicts
    /// items[b, t] from the events before t.</summary>
    public abstract Tensor Forward(Tensor items, Tensor sessionStarts, Tensor lengths);

    /// <summary>[B, T, d + 1]: previous item vector (start token at 0) and the session-start flag of the predicted event.</summary>
    private protected Tensor Inputs(Tensor items, Tensor sessionStarts, Tensor sessionStart)
    {
        long b = items.shape[0];
        long t = items.shape[1];
        Tensor start = sessionStart.view(1, 1, -1).expand(b, 1, -1);
        Tensor x = t == 1 ? start : cat([start, ItemVectorsOf(items.slice(1, 0, t - 1, 1))], 1);
        Tensor flags = sessionStarts.to(float32).clone();
        Arith.FillInPlace(flags.select(1, 0), 1);
        return cat([x, flags.unsqueeze(-1)], -1);
    }
}

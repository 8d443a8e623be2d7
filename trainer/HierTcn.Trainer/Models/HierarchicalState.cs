using static TorchSharp.torch;

namespace HierTcn.Trainer.Models;

/// <summary>
/// What a hierarchical model carries from one session step to the next, per batch row: the high-level state
/// [L, B, H] before the last session was folded in, and that last session (its items and lengths, or for HRNN its
/// final session state), folded in at the start of the next step. Deferring the update lets the next step's loss
/// reach the high-level GRU even though the carried tensors are detached (truncated backpropagation, paper 3.6.2).
/// Owns its tensors: they live outside any per-batch dispose scope until <see cref="Dispose"/>.
/// </summary>
public sealed class HierarchicalState : IDisposable
{
    internal HierarchicalState(Tensor high, Tensor pendingItems, Tensor pendingLengths, Tensor? pendingVector)
    {
        High = high.detach().DetachFromDisposeScope();
        PendingItems = pendingItems.detach().DetachFromDisposeScope();
        PendingLengths = pendingLengths.detach().DetachFromDisposeScope();
        PendingVector = pendingVector?.detach().DetachFromDisposeScope();
    }

    /// <summary>[L, B, H] high-level state before the pending session.</summary>
    public Tensor High { get; }
    /// <summary>[B, T'] int64 items of the pending session (padded).</summary>
    public Tensor PendingItems { get; }
    /// <summary>[B] int64 lengths of the pending session; 0 where nothing is pending.</summary>
    public Tensor PendingLengths { get; }
    /// <summary>[B, H] HRNN: the pending session's final top state.</summary>
    public Tensor? PendingVector { get; }

    public void Dispose()
    {
        High.Dispose();
        PendingItems.Dispose();
        PendingLengths.Dispose();
        PendingVector?.Dispose();
    }
}

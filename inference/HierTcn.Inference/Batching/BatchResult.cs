namespace HierTcn.Inference.Batching;

/// <summary>The completion of an accepted request: <see cref="Value"/> is set when <see cref="Outcome"/> is
/// <see cref="BatchOutcome.Computed"/>. Expired and cancelled requests complete with a status, not an exception, so
/// shedding under overload costs no throw per request.</summary>
public readonly record struct BatchResult<TOut>(BatchOutcome Outcome, TOut? Value)
{
    public bool IsComputed => Outcome == BatchOutcome.Computed;
}

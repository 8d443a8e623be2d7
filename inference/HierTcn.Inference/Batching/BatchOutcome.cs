namespace HierTcn.Inference.Batching;

/// <summary>What became of a request the batcher accepted.</summary>
public enum BatchOutcome
{
    /// <summary>Computed in a batch; the result carries the value.</summary>
    Computed,
    /// <summary>Its deadline passed while it was queued; not computed.</summary>
    Expired,
    /// <summary>Its caller's cancellation token fired while it was queued; not computed.</summary>
    Cancelled,
}

namespace HierTcn.Inference.Batching;

/// <summary>Outcome of offering a request to the batcher.</summary>
public enum EnqueueStatus
{
    Accepted,
    /// <summary>The queue is at capacity: shed the request (gRPC RESOURCE_EXHAUSTED).</summary>
    QueueFull,
    /// <summary>The batcher is shutting down.</summary>
    Closed,
}

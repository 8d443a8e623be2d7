namespace HierTcn.Inference;

/// <summary>Outcome of an engine call; the server maps each to a gRPC status code.</summary>
public enum ServeStatus
{
    Ok = 0,
    /// <summary>The request is malformed or out of limits; the error names the field and the problem.</summary>
    InvalidArgument,
    /// <summary>The batch queue is full: shed (RESOURCE_EXHAUSTED).</summary>
    QueueFull,
    /// <summary>The deadline passed before the request was computed.</summary>
    DeadlineExceeded,
    /// <summary>The state store cannot be reached or refuses writes, or the engine is shutting down.</summary>
    Unavailable,
    /// <summary>The model produced something unusable (for example a non-finite embedding).</summary>
    Internal,
}

namespace HierTcn.Inference.Batching;

/// <summary>How concurrent requests are gathered into batches.</summary>
public sealed record MicroBatcherOptions
{
    /// <summary>Most requests in one batch. Default 64.</summary>
    public int MaxBatchSize { get; init; } = 64;

    /// <summary>Longest a batch waits for more requests after its first one arrived, in microseconds. Default 500.
    /// 0 runs whatever is queued at once.</summary>
    public int MaxWaitMicroseconds { get; init; } = 500;

    /// <summary>Most requests waiting; beyond it <see cref="MicroBatcher{TIn, TOut}.TryEnqueue"/> answers
    /// <see cref="EnqueueStatus.QueueFull"/>. Default 4096.</summary>
    public int QueueCapacity { get; init; } = 4096;

    /// <summary>Batches computed at once. Default 1 (the model runs use the cores themselves).</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the bad option.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1, nameof(MaxBatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxWaitMicroseconds, nameof(MaxWaitMicroseconds));
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1, nameof(QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(Workers, 1, nameof(Workers));
    }
}

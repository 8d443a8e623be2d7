namespace HierTcn.Data.Evaluation;

/// <summary>How <see cref="Evaluator"/> runs. Nothing here changes a metric; only speed, memory and what is kept.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Most queries per <see cref="IRankingModel.Score"/> call. Default 512.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Cap on the score buffer (batch rows x catalogue size x 4 bytes); the batch shrinks to fit it, down to
    /// one row. Default 64 MiB.</summary>
    public long MaxScoreBufferBytes { get; init; } = 64L << 20;

    /// <summary>Threads that rank rows of a batch. Default: all processors.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Keep one <see cref="ScoredEvent"/> per scored event in <see cref="EvaluationReport.Events"/>. Default false.</summary>
    public bool KeepEventResults { get; init; }

    /// <summary>Written into the report as the run's seed. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Training wall time to record in the report (the harness does not train). Default 0.</summary>
    public double TrainWallTimeSeconds { get; init; }

    /// <summary>Called after each batch with (events ranked so far, events to rank), on the calling thread.</summary>
    public Action<long, long>? Progress { get; init; }
}

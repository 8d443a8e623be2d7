using HierTcn.Data.Evaluation;

namespace HierTcn.Trainer.Training;

/// <summary>What <see cref="ModelTrainer.Run"/> produced (also on disk in the run directory).</summary>
public sealed record TrainingResult
{
    public required IReadOnlyList<EpochMetrics> Epochs { get; init; }
    public required int BestEpoch { get; init; }
    /// <summary>Training and validation wall time of all epochs, this process and earlier ones (resume).</summary>
    public required double TrainWallSeconds { get; init; }
    /// <summary>Null when final evaluation was skipped.</summary>
    public EvaluationReport? Validation { get; init; }
    public EvaluationReport? Test { get; init; }
}

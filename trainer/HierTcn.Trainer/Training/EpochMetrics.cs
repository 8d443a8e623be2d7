using System.Text.Json.Serialization;

namespace HierTcn.Trainer.Training;

/// <summary>One epoch's figures, as <c>epochs.json</c> in the run directory lists them.</summary>
public sealed record EpochMetrics
{
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    /// <summary>Mean training loss per predicted event.</summary>
    /// <summary>The Adam learning rate of the epoch (see <see cref="TrainingOptions.LearningRateDecay"/>).</summary>
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; }
    [JsonPropertyName("train_loss")] public double TrainLoss { get; init; }
    [JsonPropertyName("train_events")] public long TrainEvents { get; init; }
    [JsonPropertyName("batches")] public int Batches { get; init; }
    /// <summary>Optimizer steps: batches of the last step group of an epoch share one step.</summary>
    [JsonPropertyName("optimizer_steps")] public int OptimizerSteps { get; init; }
    /// <summary>Wall time of the training pass alone (no validation).</summary>
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [JsonPropertyName("events_per_s")] public double EventsPerSecond { get; init; }
    /// <summary>Padded positions per batch, averaged: input rows the model reads, padding included.</summary>
    [JsonPropertyName("padded_positions_per_batch")] public double PaddedPositionsPerBatch { get; init; }
    [JsonPropertyName("max_padded_positions")] public long MaxPaddedPositions { get; init; }
    /// <summary>Input-data memory per batch (paper section 4.3.4): padded positions x d x 4 bytes, averaged.</summary>
    [JsonPropertyName("input_bytes_per_batch")] public double InputBytesPerBatch { get; init; }
    [JsonPropertyName("max_input_bytes")] public long MaxInputBytes { get; init; }
    [JsonPropertyName("validation_recall@10")] public double? ValidationRecall10 { get; init; }
    [JsonPropertyName("validation_mrr")] public double? ValidationMrr { get; init; }
    [JsonPropertyName("validation_seconds")] public double ValidationSeconds { get; init; }
    [JsonPropertyName("best")] public bool Best { get; init; }

    /// <summary>What epochs are compared by: validation Recall@10, or the epoch number when validation was skipped (so
    /// the last epoch is the best).</summary>
    [JsonIgnore] public double Score => ValidationRecall10 ?? Epoch;
}

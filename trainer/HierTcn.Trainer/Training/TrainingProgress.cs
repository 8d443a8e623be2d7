namespace HierTcn.Trainer.Training;

/// <summary>A progress report from inside an epoch (after each batch) or at a phase change.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Phase">"train", "validate", "evaluate" or "info".</param>
/// <param name="Done">Events processed in this phase so far.</param>
/// <param name="Total">Events this phase will process.</param>
/// <param name="Loss">Running mean training loss of the epoch (train phase).</param>
/// <param name="EventsPerSecond">Training throughput so far in this epoch.</param>
/// <param name="Message">Phase "info": a line for people (the model and its parameter count, an epoch summary).</param>
public readonly record struct TrainingProgress(int Epoch, string Phase, long Done, long Total, double Loss, double EventsPerSecond, string? Message = null);

namespace HierTcn.Formats.Bundles;

/// <summary>What the bundle's model was trained on and how well it did (copied from the trainer's report).</summary>
public sealed record TrainingSummary(string? Run, string? Dataset, int? Epochs, IReadOnlyDictionary<string, double> Metrics);

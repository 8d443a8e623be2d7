namespace HierTcn.Data.Preparation;

/// <summary>Where preparation is: a stage name ("ingest", "filter", "sort", "sessions", "features", "write") and the
/// share of that stage done (0..1).</summary>
public readonly record struct PrepareProgress(string Stage, double Fraction);

namespace HierTcn.Data.Ingest;

/// <summary>What ingest does with a row it cannot use (a missing field, a non-numeric or negative id, a timestamp
/// outside 1990..2100).</summary>
public enum BadRowPolicy
{
    /// <summary>Count it, report the first few with their line numbers, and go on without it (the default).</summary>
    Skip,
    /// <summary>Stop at the first bad row with a <see cref="UserInputException"/> naming the file, line and problem.</summary>
    Fail,
}

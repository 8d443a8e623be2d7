namespace HierTcn.Data.Baselines;

/// <summary>Parameters of <see cref="SessionKnnModel"/>.</summary>
public sealed record SessionKnnOptions
{
    /// <summary>Candidate neighbours: the most recent training sessions that share an item with the current session.
    /// Default 1000.</summary>
    public int SampleSize { get; init; } = 1000;

    /// <summary>Neighbours kept, the most similar candidates. Default 100.</summary>
    public int Neighbours { get; init; } = 100;

    /// <summary>When an event opens a new session (no current items), use the user's previous session as the current
    /// session; otherwise such an event falls back to popularity. Default true.</summary>
    public bool SessionAware { get; init; } = true;

    /// <summary>Let items of the current session score from neighbours ("remind" in Ludewig and Jannach's
    /// implementation). Off by default: such items keep only the popularity tie-break, since news readers rarely open
    /// the same article twice in a row.</summary>
    public bool Remind { get; init; }

    /// <summary>Threads that score the queries of a batch. Default: all processors.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    internal void Validate()
    {
        if (SampleSize < 1 || Neighbours < 1 || MaxDegreeOfParallelism < 1)
        {
            throw new UserInputException(
                $"sknn: sample size ({SampleSize}), neighbours ({Neighbours}) and parallelism ({MaxDegreeOfParallelism}) must be positive");
        }
    }
}

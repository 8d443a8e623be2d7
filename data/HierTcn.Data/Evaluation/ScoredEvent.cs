namespace HierTcn.Data.Evaluation;

/// <summary>One scored event's result with the covariates the paper plots metrics against (its figures 2 to 4).</summary>
/// <param name="User">User index in the dataset.</param>
/// <param name="Event">Global event index.</param>
/// <param name="Rank">Full-catalogue rank (1 is best).</param>
/// <param name="PastEvents">How many of the user's events come before this one (all periods).</param>
/// <param name="SessionPosition">Position inside its session, 0 for the event that opens the session.</param>
/// <param name="GapMs">Time from the end of the user's previous session to the start of this event's session; -1 in
/// the user's first session.</param>
/// <param name="PoolRank">Rank within the event's candidate pool; 0 without impressions.</param>
/// <param name="PoolSize">Size of that pool including the true item; 0 without impressions.</param>
public readonly record struct ScoredEvent(int User, int Event, int Rank, int PastEvents, int SessionPosition, long GapMs, int PoolRank, int PoolSize)
{
    /// <summary>True when the event opens a session.</summary>
    public bool NewSession => SessionPosition == 0;
}

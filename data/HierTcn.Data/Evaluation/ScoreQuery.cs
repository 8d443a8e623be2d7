namespace HierTcn.Data.Evaluation;

/// <summary>One event to predict: the model may read the user's events before <see cref="Event"/> (their items,
/// timestamps and session boundaries) and the timestamp of <see cref="Event"/> itself, never its item.</summary>
/// <param name="User">User index in the dataset being scored.</param>
/// <param name="Event">Global event index of the event to predict (never the user's first event).</param>
public readonly record struct ScoreQuery(int User, int Event);

namespace HierTcn.Formats;

/// <summary>
/// The one session rule of the project (PROTOCOL.md section 3): within a user, a new session starts at the
/// first event and wherever the gap to the user's previous event is strictly greater than <see cref="GapMs"/>.
/// Training, evaluation and serving all call this type, so they cannot disagree.
/// </summary>
public readonly record struct SessionRule(long GapMs)
{
    /// <summary>The protocol's default gap: 30 minutes.</summary>
    public const long DefaultGapMs = 1_800_000;

    /// <summary>The rule with the default 30-minute gap.</summary>
    public static SessionRule Default => new(DefaultGapMs);

    /// <summary>True when an event at <paramref name="timestampMs"/> opens a new session after an event at
    /// <paramref name="previousTimestampMs"/> (the user's previous event).</summary>
    public bool StartsNewSession(long previousTimestampMs, long timestampMs) => timestampMs - previousTimestampMs > GapMs;
}

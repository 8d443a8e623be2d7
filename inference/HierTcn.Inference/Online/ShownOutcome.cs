namespace HierTcn.Inference.Online;

/// <summary>What <see cref="ShownLists.Take"/> found for an event.</summary>
public enum ShownOutcome
{
    /// <summary>A list shown within the session gap before the event: the event is ranked against it.</summary>
    Matched,

    /// <summary>No list remembered for the user in this process (never shown, already matched, or overwritten).</summary>
    NoList,

    /// <summary>The last list was shown more than the session gap before the event (or after it): not counted as
    /// the recommendation the event answers.</summary>
    Expired,
}

using HierTcn.Inference.Popularity;

namespace HierTcn.Inference;

public sealed partial class RecommenderEngine
{
    /// <summary>
    /// Counts clicks for the recent-popularity prior only: no user state is read or changed, no model version is
    /// involved. A pod counts the events it applies (<see cref="ObserveAsync"/>); in a fleet where each pod applies only
    /// its users' events, every pod is also sent every click here (for example by a consumer of the whole click stream
    /// per pod), so that each ranks with all of them. A click counts once by (user, event id), whichever way it came
    /// first. The same checks as <see cref="ObserveAsync"/> (event id, timestamp) fail the whole call with
    /// <see cref="ServeStatus.InvalidArgument"/> before anything is counted; an engine that keeps no clicks
    /// (<see cref="RecommenderOptions.RecentClicksCapacity"/> 0) answers <see cref="ServeStatus.InvalidArgument"/> too.
    /// </summary>
    public CountClicksSummary CountClicks(IReadOnlyList<ObservedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var clicks = _clicks;
        if (clicks is null)
        {
            return CountClicksSummary.Fail(ServeStatus.InvalidArgument, "this server keeps no recent clicks (Recommender:RecentClicksCapacity is 0)");
        }
        if (events.Count > _options.MaxEventsPerCall)
        {
            return CountClicksSummary.Fail(ServeStatus.InvalidArgument, $"events has {events.Count} entries; at most {_options.MaxEventsPerCall} per call");
        }
        for (int i = 0; i < events.Count; i++)
        {
            if (CheckEvent(events[i]) is { } problem)
            {
                return CountClicksSummary.Fail(ServeStatus.InvalidArgument, $"events[{i}] (user {events[i].UserId}): {problem}; nothing was counted");
            }
        }
        int counted = 0, duplicates = 0, tooOld = 0, dropped = 0;
        foreach (var e in events)
        {
            switch (clicks.Add(e.ItemId, e.TimestampMs, RecentClicks.KeyOf(e.UserId, e.EventId), out int d))
            {
                case ClickOutcome.Counted:
                    counted++;
                    break;
                case ClickOutcome.Duplicate:
                    duplicates++;
                    break;
                default:
                    tooOld++;
                    break;
            }
            dropped += d;
        }
        _metrics?.RecentClicks(clicks.Count, dropped);
        return new CountClicksSummary(ServeStatus.Ok, null, counted, duplicates, tooOld);
    }
}

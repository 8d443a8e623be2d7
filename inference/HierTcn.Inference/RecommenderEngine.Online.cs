using HierTcn.Formats;
using HierTcn.Inference.Internal;

namespace HierTcn.Inference;

public sealed partial class RecommenderEngine
{
    /// <summary>Salt of the online-metrics sample: independent of the A/B salt, so every arm is sampled alike.</summary>
    private const string SampleSalt = "hiertcn-online-metrics";

    /// <summary>True when <paramref name="userId"/> is in the online-metrics sample.</summary>
    private bool IsMeasured(long userId) =>
        _shown is not null && (_options.OnlineMetrics.SampleRate >= 1 || StableHash.UnitInterval(SampleSalt, userId) < _options.OnlineMetrics.SampleRate);

    /// <summary>Remembers a sampled user's answer as shown by <paramref name="version"/> at <paramref name="nowMs"/>.</summary>
    private void RememberShown(string version, long userId, long nowMs, IReadOnlyList<ItemScore> items)
    {
        if (!IsMeasured(userId))
        {
            return;
        }
        Span<long> ids = stackalloc long[Math.Min(items.Count, _shown!.ListLength)];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = items[i].ItemId;
        }
        bool newUser = _shown.Remember(userId, version, nowMs, ids);
        _metrics?.ListShown(version, newUser);
    }

    /// <summary>Ranks a sampled user's applied events, in order, against the list each answers: the first answers the
    /// remembered list (if any, shown within the session gap); the rest of the call answer none.</summary>
    private void RankNextEvents(ServedModel model, long userId, List<ObservedEvent> applied)
    {
        foreach (var e in applied)
        {
            var outcome = _shown!.Take(userId, e.TimestampMs, e.ItemId, model.Rule.GapMs, out string? shownBy, out int rank);
            if (outcome == Online.ShownOutcome.Matched)
            {
                _metrics?.NextEventRanked(shownBy!, rank);
            }
            else
            {
                _metrics?.NextEventUnmatched(model.Version);
            }
        }
    }
}

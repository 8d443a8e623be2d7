using HierTcn.Formats;
using HierTcn.Formats.Snapshots;
using HierTcn.Formats.State;

namespace HierTcn.Inference.Sessions;

/// <summary>
/// How events change a user's state (inference/README.md, "Sessions and late events"). For each event, in time
/// order (a stable sort by timestamp within the call):
/// <list type="number">
/// <item>an event id among the user's remembered ids (every event of the open session, up to the event id capacity,
/// and the recent ones) is a duplicate: skipped, whatever its timestamp;</item>
/// <item>an event that cannot be applied is late: counted and not applied. That is one stamped before
/// <see cref="UserState.LateBeforeMs"/> (it belongs to a session already folded into the high-level state, or is
/// older than the oldest open-session event whose id is still remembered), one more than the session gap before the
/// open session's start (it would be a session of its own, in the past), and one older than the last event when no
/// session is open;</item>
/// <item>an item not in the snapshot is skipped and counted;</item>
/// <item>if the event is newer than the last one by more than the session gap, or the open session was ended and awaits
/// its fold (<see cref="UserState.SessionEnded"/>), the open session is closed first: the update graph on its stored
/// MEAN (and, for a model that reads it, the minutes from its last event to this one) gives the new high-level state,
/// the session is emptied, and every event within the gap of the closed session's last event becomes late;</item>
/// <item>the item joins the open session at its time position (equal times in arrival order; its embedding is added
/// to the order-independent session sum), its id is remembered with its time, and the last event time is the
/// newest.</item>
/// </list>
/// So events of the open session that arrive out of order are applied as if they had come in time order, and
/// nothing accepted is dropped without being counted. Pure given the update function, so it is tested without ONNX
/// Runtime.
/// </summary>
public static class SessionLogic
{
    /// <summary>Counts of what <see cref="Apply"/> did.</summary>
    public readonly record struct Counts(int Applied, int Duplicates, int Late, int UnknownItems, int SessionsClosed);

    /// <summary>The update graph: (high-level state, closed session's MEAN, minutes from its last event to the next
    /// session's start) to the next high-level state. A model whose high level does not read the time ignores the
    /// minutes.</summary>
    public delegate float[] Fold(float[] state, float[] mean, float gapMinutes);

    /// <summary>Minutes from <paramref name="fromMs"/> to <paramref name="toMs"/> (0 when not after), the update
    /// graph's gap_minutes.</summary>
    public static float GapMinutes(long fromMs, long toMs) => toMs > fromMs ? (float)((toMs - fromMs) / 60000.0) : 0f;

    /// <summary>Applies <paramref name="events"/> (one user's, any order) to <paramref name="state"/>.
    /// <paramref name="sessionCapacity"/> bounds the listed session items (the TCN window),
    /// <paramref name="eventIdCapacity"/> the remembered open-session event ids. <paramref name="closeSession"/> maps (state, session mean) to the next
    /// high-level state; the events applied are added to <paramref name="applied"/>, in the order applied, when it is
    /// given.</summary>
    public static Counts Apply(UserState state, IEnumerable<ObservedEvent> events, ItemSnapshot snapshot, SessionRule rule,
        int sessionCapacity, int eventIdCapacity, Fold closeSession, ICollection<ObservedEvent>? applied = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(eventIdCapacity, 1);
        state.FillMissingItemTimes();
        int count = 0, duplicates = 0, late = 0, unknown = 0, closed = 0;
        foreach (var e in events.OrderBy(e => e.TimestampMs))
        {
            long id = EventIds.Hash(e.EventId);
            if (state.HasAppliedEvent(id))
            {
                duplicates++;
                continue;
            }
            if (IsLate(state, e.TimestampMs, rule))
            {
                late++;
                continue;
            }
            if (!snapshot.TryGetRow(e.ItemId, out int row))
            {
                unknown++;
                continue;
            }
            if (state.SessionCount > 0 && (state.SessionEnded || rule.StartsNewSession(state.LastEventMs, e.TimestampMs)))
            {
                // Everything up to the gap after the closed session's last event would have joined it (an ended
                // session was already closed to everything up to its last event).
                long lateBefore = state.SessionEnded ? state.LastEventMs + 1 : state.LastEventMs + rule.GapMs + 1;
                CloseAt(state, closeSession, GapMinutes(state.LastEventMs, e.TimestampMs), lateBefore);
                closed++;
            }
            state.InsertSessionItem(e.ItemId, e.TimestampMs, snapshot.Row(row), sessionCapacity);
            state.RecordSessionEvent(id, e.TimestampMs, eventIdCapacity);
            state.RecordAppliedEventAt(id, e.TimestampMs);
            applied?.Add(e);
            count++;
        }
        return new Counts(count, duplicates, late, unknown, closed);
    }

    /// <summary>True when an event at <paramref name="timestampMs"/> can no longer be applied to
    /// <paramref name="state"/> (rule 2).</summary>
    public static bool IsLate(UserState state, long timestampMs, SessionRule rule)
    {
        if (timestampMs < state.LateBeforeMs)
        {
            return true;
        }
        if (timestampMs >= state.LastEventMs)
        {
            return false;
        }
        return state.SessionCount == 0 || rule.StartsNewSession(timestampMs, state.SessionStartMs);
    }

    /// <summary>Closes the open session now (EndSession); false when none is open (or it was already ended). Later
    /// events must be newer than the closed session's last event: one at its millisecond could be a resend of an event
    /// of it. With <paramref name="foldAtNextSession"/> (a model whose high level reads the time between sessions) the
    /// session is only marked ended (<see cref="UserState.SessionEnded"/>): it is folded in when the next session starts,
    /// with the gap to it, by <see cref="Apply"/> or a Recommend.</summary>
    public static bool Close(UserState state, Fold closeSession, bool foldAtNextSession = false)
    {
        if (state.SessionCount == 0 || state.SessionEnded)
        {
            return false;
        }
        if (foldAtNextSession)
        {
            state.SessionEnded = true;
            state.LateBeforeMs = Math.Max(state.LateBeforeMs, state.LastEventMs + 1);
            return true;
        }
        CloseAt(state, closeSession, 0f, state.LastEventMs + 1);
        return true;
    }

    private static void CloseAt(UserState state, Fold closeSession, float gapMinutes, long lateBeforeMs)
    {
        var mean = new float[state.SessionSum.Length];
        state.SessionMean(mean);
        state.HiddenState = closeSession(state.HiddenState, mean, gapMinutes);
        state.ResetSession();
        state.LateBeforeMs = Math.Max(state.LateBeforeMs, lateBeforeMs);
    }
}

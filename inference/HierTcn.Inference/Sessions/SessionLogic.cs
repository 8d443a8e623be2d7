using HierTcn.Formats;
using HierTcn.Formats.Snapshots;
using HierTcn.Formats.State;

namespace HierTcn.Inference.Sessions;

/// <summary>
/// How events change a user's state (inference/README.md, "Sessions and late events"). For each event, in time
/// order (a stable sort by timestamp within the call):
/// <list type="number">
/// <item>an event id among the user's remembered applied ids is a duplicate: skipped;</item>
/// <item>an event older than the user's last applied event is late: dropped and counted (applying it would rewrite a
/// past the model has already folded into its state; an event at the same millisecond is not late);</item>
/// <item>an item not in the snapshot is skipped and counted;</item>
/// <item>if the gap to the user's last event exceeds the session gap, the open session is closed first: the update
/// graph on its stored MEAN gives the new high-level state, and the session is emptied;</item>
/// <item>the item joins the open session (its embedding is added to the session sum), the event time becomes the
/// user's last event time and the event id is remembered (every id of the newest millisecond is kept, so a resend at
/// that millisecond is a duplicate however many events shared it).</item>
/// </list>
/// Pure given the update function, so it is tested without ONNX Runtime.
/// </summary>
public static class SessionLogic
{
    /// <summary>Counts of what <see cref="Apply"/> did.</summary>
    public readonly record struct Counts(int Applied, int Duplicates, int Late, int UnknownItems, int SessionsClosed);

    /// <summary>Applies <paramref name="events"/> (one user's, any order) to <paramref name="state"/>.
    /// <paramref name="closeSession"/> maps (state, session mean) to the next high-level state; the events applied
    /// are added to <paramref name="applied"/>, in the order applied, when it is given.</summary>
    public static Counts Apply(UserState state, IEnumerable<ObservedEvent> events, ItemSnapshot snapshot, SessionRule rule,
        int sessionCapacity, Func<float[], float[], float[]> closeSession, ICollection<ObservedEvent>? applied = null)
    {
        int count = 0, duplicates = 0, late = 0, unknown = 0, closed = 0;
        foreach (var e in events.OrderBy(e => e.TimestampMs))
        {
            long id = EventIds.Hash(e.EventId);
            if (state.HasAppliedEvent(id))
            {
                duplicates++;
                continue;
            }
            if (state.LastEventMs != 0 && e.TimestampMs < state.LastEventMs)
            {
                late++;
                continue;
            }
            if (!snapshot.TryGetRow(e.ItemId, out int row))
            {
                unknown++;
                continue;
            }
            if (state.SessionCount > 0 && rule.StartsNewSession(state.LastEventMs, e.TimestampMs))
            {
                Close(state, closeSession);
                closed++;
            }
            state.AppendSessionItem(e.ItemId, snapshot.Row(row), sessionCapacity);
            state.RecordAppliedEventAt(id, e.TimestampMs);
            applied?.Add(e);
            count++;
        }
        return new Counts(count, duplicates, late, unknown, closed);
    }

    /// <summary>Closes the open session now (EndSession); false when none is open.</summary>
    public static bool Close(UserState state, Func<float[], float[], float[]> closeSession)
    {
        if (state.SessionCount == 0)
        {
            return false;
        }
        var mean = new float[state.SessionSum.Length];
        state.SessionMean(mean);
        state.HiddenState = closeSession(state.HiddenState, mean);
        state.ResetSession();
        return true;
    }
}

namespace HierTcn.Formats.State;

/// <summary>
/// Everything a user's recommendations depend on between requests, for one model version: the high-level hidden
/// state, the open session (its most recent items in time order with their times, plus the running sum and count of
/// all its item embeddings, so the session MEAN survives a bounded item list, and its start time), the last event time,
/// the ids of the open session's events and of recently applied events (so a retried event is applied once), and the
/// time before which an event can no longer be applied (<see cref="LateBeforeMs"/>). <see cref="Version"/> is assigned
/// by the state store on every write and is what compare-and-swap compares. Not thread-safe: one request owns an
/// instance at a time.
/// </summary>
public sealed class UserState
{
    /// <summary>How many recently applied event ids are remembered by default, beyond the open session's (a resend of
    /// an older event of a closed session is late, see <see cref="LateBeforeMs"/>).</summary>
    public const int DefaultRecentEventCapacity = 64;

    /// <summary>How many ids of events sharing the newest millisecond are remembered at most (see
    /// <see cref="RecordAppliedEventAt"/>).</summary>
    public const int MaxSameMillisecondEventIds = 4096;

    /// <summary>Creates an empty state (no session, zero hidden state) for <paramref name="userId"/> under
    /// <paramref name="modelVersion"/>.</summary>
    /// <param name="hiddenSize">Length of the high-level hidden state: layers times hidden units (L*H).</param>
    /// <param name="embeddingSize">Length of an item embedding (d), the length of the session sum.</param>
    public UserState(string modelVersion, long userId, int hiddenSize, int embeddingSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelVersion);
        ArgumentOutOfRangeException.ThrowIfNegative(hiddenSize);
        ArgumentOutOfRangeException.ThrowIfNegative(embeddingSize);
        ModelVersion = modelVersion;
        UserId = userId;
        HiddenState = new float[hiddenSize];
        SessionSum = new float[embeddingSize];
    }

    /// <summary>The model version the state belongs to; part of the store key.</summary>
    public string ModelVersion { get; }

    /// <summary>External user id; part of the store key.</summary>
    public long UserId { get; }

    /// <summary>Store-assigned version: 0 for a state never stored, then 1, 2, ... one per write.</summary>
    public ulong Version { get; set; }

    /// <summary>High-level hidden state, L*H floats, layer-major.</summary>
    public float[] HiddenState { get; set; }

    /// <summary>The open session's most recent item ids in time order (equal times in arrival order), at most the
    /// capacity given to <see cref="InsertSessionItem"/> (the TCN's receptive field).</summary>
    public long[] SessionItems { get; set; } = [];

    /// <summary>The times (ms) of <see cref="SessionItems"/>, one each, non-decreasing. Empty means unknown (a state
    /// built without them): the items count as at <see cref="LastEventMs"/>.</summary>
    public long[] SessionItemTimes { get; set; } = [];

    /// <summary>Time (ms) of the open session's earliest event, also of items no longer in <see cref="SessionItems"/>;
    /// 0 when no session is open.</summary>
    public long SessionStartMs { get; set; }

    /// <summary>Sum of the embeddings of every item of the open session (not only those in
    /// <see cref="SessionItems"/>).</summary>
    public float[] SessionSum { get; set; }

    /// <summary>Number of items summed in <see cref="SessionSum"/>; 0 when no session is open.</summary>
    public int SessionCount { get; set; }

    /// <summary>Timestamp (ms since the Unix epoch) of the user's last applied event; 0 when none.</summary>
    public long LastEventMs { get; set; }

    /// <summary>Ids of the most recently applied events, oldest first.</summary>
    public long[] RecentEventIds { get; set; } = [];

    /// <summary>Ids of the open session's applied events in time order, at most the capacity given to
    /// <see cref="RecordSessionEvent"/>; <see cref="SessionEventTimes"/> holds their times.</summary>
    public long[] SessionEventIds { get; set; } = [];

    /// <summary>The times (ms) of <see cref="SessionEventIds"/>, one each, non-decreasing.</summary>
    public long[] SessionEventTimes { get; set; } = [];

    /// <summary>Events stamped before this time (ms) cannot be applied: they belong to a session already folded into
    /// <see cref="HiddenState"/>, or are older than the oldest open-session event whose id is still remembered (so a
    /// resend could not be told from a new event). 0 when nothing is excluded.</summary>
    public long LateBeforeMs { get; set; }

    /// <summary>True when the open session was ended (EndSession) but is not yet folded into <see cref="HiddenState"/>:
    /// a model whose high level reads the time between sessions folds a session in only when the next one starts, so
    /// the gap is known. The next event starts a new session whatever its time. Cleared by <see cref="ResetSession"/>;
    /// false for every other model.</summary>
    public bool SessionEnded { get; set; }

    /// <summary>True when the state was read without its session item times and event ids and times (those arrays are
    /// empty; <see cref="UserStateSerializer.TryDeserialize(ReadOnlySpan{byte}, bool, out UserState?, out string?)"/>):
    /// enough to rank, not to apply events, and refused by the serializer.</summary>
    public bool EventsOmitted { get; init; }

    /// <summary>Adds an item at the end of the open session (at the latest of <see cref="LastEventMs"/> and its last
    /// item's time); see <see cref="InsertSessionItem"/>.</summary>
    public void AppendSessionItem(long itemId, ReadOnlySpan<float> embedding, int capacity)
    {
        FillMissingItemTimes();
        long time = Math.Max(LastEventMs, SessionItemTimes.Length > 0 ? SessionItemTimes[^1] : 0);
        InsertSessionItem(itemId, time, embedding, capacity);
    }

    /// <summary>Adds an item stamped <paramref name="timeMs"/> to the open session: its id goes after every listed item
    /// at or before that time (so equal times keep arrival order), the oldest beyond <paramref name="capacity"/> is
    /// dropped (the new item itself when it is older than a full list), and its embedding joins the running sum. The
    /// session start becomes the earliest time seen.</summary>
    public void InsertSessionItem(long itemId, long timeMs, ReadOnlySpan<float> embedding, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (embedding.Length != SessionSum.Length)
            throw new ArgumentException($"embedding has {embedding.Length} values, the session sum has {SessionSum.Length}", nameof(embedding));
        FillMissingItemTimes();
        int at = InsertionPoint(SessionItemTimes, timeMs);
        // Items dropped from a bounded list are older than every listed one: an item before the list joins only the sum.
        if (at > 0 || SessionCount == SessionItems.Length)
        {
            SessionItems = InsertBounded(SessionItems, at, itemId, capacity);
            SessionItemTimes = InsertBounded(SessionItemTimes, at, timeMs, capacity);
        }
        for (int i = 0; i < embedding.Length; i++)
            SessionSum[i] += embedding[i];
        SessionStartMs = SessionCount == 0 ? timeMs : Math.Min(SessionStartMs, timeMs);
        SessionCount++;
    }

    /// <summary>Closes the open session: clears its items, their times, sum, count, start and event ids (the caller has
    /// folded its MEAN into <see cref="HiddenState"/> and set <see cref="LateBeforeMs"/>).</summary>
    public void ResetSession()
    {
        SessionItems = [];
        SessionItemTimes = [];
        Array.Clear(SessionSum);
        SessionCount = 0;
        SessionStartMs = 0;
        SessionEventIds = [];
        SessionEventTimes = [];
        SessionEnded = false;
    }

    /// <summary>Writes the open session's MEAN into <paramref name="destination"/>; zeros when no session is open.</summary>
    public void SessionMean(Span<float> destination)
    {
        if (destination.Length != SessionSum.Length)
            throw new ArgumentException($"destination has {destination.Length} values, the session sum has {SessionSum.Length}", nameof(destination));
        float scale = SessionCount == 0 ? 0f : 1f / SessionCount;
        for (int i = 0; i < destination.Length; i++)
            destination[i] = SessionSum[i] * scale;
    }

    /// <summary>True when <paramref name="eventId"/> is among the remembered applied events (the open session's or
    /// the recent ones).</summary>
    public bool HasAppliedEvent(long eventId) => Array.IndexOf(SessionEventIds, eventId) >= 0 || Array.IndexOf(RecentEventIds, eventId) >= 0;

    /// <summary>Remembers <paramref name="eventId"/> as an event of the open session stamped <paramref name="timeMs"/>
    /// (in time order). Beyond <paramref name="capacity"/> the oldest is forgotten and <see cref="LateBeforeMs"/> moves
    /// past its time, so an event that old is late rather than possibly applied twice.</summary>
    public void RecordSessionEvent(long eventId, long timeMs, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (SessionEventTimes.Length != SessionEventIds.Length)
            throw new InvalidOperationException($"the state has {SessionEventIds.Length} session event ids and {SessionEventTimes.Length} times");
        int at = InsertionPoint(SessionEventTimes, timeMs);
        var ids = Insert(SessionEventIds, at, eventId);
        var times = Insert(SessionEventTimes, at, timeMs);
        if (ids.Length > capacity)
        {
            int drop = ids.Length - capacity;
            LateBeforeMs = Math.Max(LateBeforeMs, times[drop - 1] + 1);
            ids = ids[drop..];
            times = times[drop..];
        }
        SessionEventIds = ids;
        SessionEventTimes = times;
    }

    /// <summary>Remembers <paramref name="eventId"/> as applied, forgetting the oldest beyond
    /// <paramref name="capacity"/>.</summary>
    public void RecordAppliedEvent(long eventId, int capacity = DefaultRecentEventCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        RecentEventIds = AppendBounded(RecentEventIds, eventId, capacity);
    }

    /// <summary>Remembers <paramref name="eventId"/> as applied at <paramref name="timestampMs"/> and makes that the
    /// last event time. Beyond <paramref name="capacity"/>, the ids of every event at the newest millisecond are kept
    /// (up to <see cref="MaxSameMillisecondEventIds"/>): a resend of one of them is not late (same millisecond), so its
    /// id is the only thing that keeps it from being applied twice. Ids of older milliseconds are forgotten beyond
    /// <paramref name="capacity"/> once time moves on: a resend of those is late.</summary>
    public void RecordAppliedEventAt(long eventId, long timestampMs, int capacity = DefaultRecentEventCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        // An event older than the newest millisecond (applied out of order) does not shorten the list either.
        bool sameMillisecond = RecentEventIds.Length > 0 && timestampMs <= LastEventMs;
        int keep = sameMillisecond ? Math.Clamp(RecentEventIds.Length + 1, capacity, Math.Max(capacity, MaxSameMillisecondEventIds)) : capacity;
        RecentEventIds = AppendBounded(RecentEventIds, eventId, keep);
        LastEventMs = Math.Max(LastEventMs, timestampMs);
    }

    /// <summary>A deep copy.</summary>
    public UserState Clone() => new(ModelVersion, UserId, 0, 0)
    {
        Version = Version,
        HiddenState = (float[])HiddenState.Clone(),
        SessionItems = (long[])SessionItems.Clone(),
        SessionItemTimes = (long[])SessionItemTimes.Clone(),
        SessionStartMs = SessionStartMs,
        SessionSum = (float[])SessionSum.Clone(),
        SessionCount = SessionCount,
        LastEventMs = LastEventMs,
        RecentEventIds = (long[])RecentEventIds.Clone(),
        SessionEventIds = (long[])SessionEventIds.Clone(),
        SessionEventTimes = (long[])SessionEventTimes.Clone(),
        LateBeforeMs = LateBeforeMs,
        SessionEnded = SessionEnded,
        EventsOmitted = EventsOmitted,
    };

    /// <summary>Gives items listed without times the time <see cref="LastEventMs"/> (what a record of format version 1
    /// means), and such a session that start time.</summary>
    public void FillMissingItemTimes()
    {
        if (SessionItemTimes.Length == SessionItems.Length)
            return;
        if (SessionItemTimes.Length != 0)
            throw new InvalidOperationException($"the state has {SessionItems.Length} session items and {SessionItemTimes.Length} item times");
        SessionItemTimes = new long[SessionItems.Length];
        Array.Fill(SessionItemTimes, LastEventMs);
        if (SessionCount > 0 && SessionStartMs == 0)
            SessionStartMs = LastEventMs;
    }

    /// <summary>Index after the last of <paramref name="times"/> (non-decreasing) at or before <paramref name="timeMs"/>.</summary>
    private static int InsertionPoint(long[] times, long timeMs)
    {
        int at = times.Length;
        while (at > 0 && times[at - 1] > timeMs)
            at--;
        return at;
    }

    private static long[] Insert(long[] values, int at, long value)
    {
        var result = new long[values.Length + 1];
        Array.Copy(values, 0, result, 0, at);
        result[at] = value;
        Array.Copy(values, at, result, at + 1, values.Length - at);
        return result;
    }

    private static long[] InsertBounded(long[] values, int at, long value, int capacity)
    {
        var grown = Insert(values, at, value);
        return grown.Length <= capacity ? grown : grown[(grown.Length - capacity)..];
    }

    private static long[] AppendBounded(long[] values, long value, int capacity)
    {
        int keep = Math.Min(values.Length, capacity - 1);
        var result = new long[keep + 1];
        Array.Copy(values, values.Length - keep, result, 0, keep);
        result[keep] = value;
        return result;
    }
}

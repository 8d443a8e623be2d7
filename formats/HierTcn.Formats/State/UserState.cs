namespace HierTcn.Formats.State;

/// <summary>
/// Everything a user's recommendations depend on between requests, for one model version: the high-level hidden
/// state, the open session (its most recent items plus the running sum and count of all its item embeddings, so the
/// session MEAN survives a bounded item list), the last event time and the ids of recently applied events (so a
/// retried event is applied once). <see cref="Version"/> is assigned by the state store on every write and is what
/// compare-and-swap compares. Not thread-safe: one request owns an instance at a time.
/// </summary>
public sealed class UserState
{
    /// <summary>How many applied event ids are remembered by default (a retry older than that is applied again).</summary>
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

    /// <summary>The open session's most recent item ids, oldest first, at most the capacity given to
    /// <see cref="AppendSessionItem"/> (the TCN's receptive field).</summary>
    public long[] SessionItems { get; set; } = [];

    /// <summary>Sum of the embeddings of every item of the open session (not only those in
    /// <see cref="SessionItems"/>).</summary>
    public float[] SessionSum { get; set; }

    /// <summary>Number of items summed in <see cref="SessionSum"/>; 0 when no session is open.</summary>
    public int SessionCount { get; set; }

    /// <summary>Timestamp (ms since the Unix epoch) of the user's last applied event; 0 when none.</summary>
    public long LastEventMs { get; set; }

    /// <summary>Ids of the most recently applied events, oldest first.</summary>
    public long[] RecentEventIds { get; set; } = [];

    /// <summary>Adds an item to the open session: appends its id (dropping the oldest beyond
    /// <paramref name="capacity"/>) and adds its embedding to the running sum.</summary>
    public void AppendSessionItem(long itemId, ReadOnlySpan<float> embedding, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (embedding.Length != SessionSum.Length)
            throw new ArgumentException($"embedding has {embedding.Length} values, the session sum has {SessionSum.Length}", nameof(embedding));
        SessionItems = AppendBounded(SessionItems, itemId, capacity);
        for (int i = 0; i < embedding.Length; i++)
            SessionSum[i] += embedding[i];
        SessionCount++;
    }

    /// <summary>Closes the open session: clears its items, sum and count (the caller has folded its MEAN into
    /// <see cref="HiddenState"/>).</summary>
    public void ResetSession()
    {
        SessionItems = [];
        Array.Clear(SessionSum);
        SessionCount = 0;
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

    /// <summary>True when <paramref name="eventId"/> is among the remembered applied events.</summary>
    public bool HasAppliedEvent(long eventId) => Array.IndexOf(RecentEventIds, eventId) >= 0;

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
        bool sameMillisecond = RecentEventIds.Length > 0 && timestampMs == LastEventMs;
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
        SessionSum = (float[])SessionSum.Clone(),
        SessionCount = SessionCount,
        LastEventMs = LastEventMs,
        RecentEventIds = (long[])RecentEventIds.Clone(),
    };

    private static long[] AppendBounded(long[] values, long value, int capacity)
    {
        int keep = Math.Min(values.Length, capacity - 1);
        var result = new long[keep + 1];
        Array.Copy(values, values.Length - keep, result, 0, keep);
        result[keep] = value;
        return result;
    }
}

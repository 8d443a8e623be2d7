using HierTcn.Formats;
using HierTcn.Formats.Snapshots;
using HierTcn.Formats.State;
using HierTcn.Inference.Sessions;

namespace HierTcn.Inference.Tests;

/// <summary>The session rules on their own (no ONNX Runtime): exactly once by event id whatever the timestamps, events
/// of the open session applied in time order whatever the arrival order, late events counted, never applied.</summary>
public sealed class SessionLogicTests : IDisposable
{
    private const long T = 1_700_000_000_000;
    private const long Gap = SessionRule.DefaultGapMs;
    private static readonly SessionRule Rule = SessionRule.Default;
    private readonly string _dir = Directory.CreateTempSubdirectory("hiertcn-session-logic-").FullName;
    private readonly ItemSnapshot _snapshot;

    public SessionLogicTests()
    {
        // Items 1..8 embed as (i, 10 i): small integers, so sums are exact in any order.
        long[] ids = [.. Enumerable.Range(1, 8).Select(i => (long)i)];
        float[] vectors = [.. Enumerable.Range(1, 8).SelectMany(i => new[] { (float)i, 10f * i })];
        _snapshot = ItemSnapshot.Open(ItemSnapshotDirectory.Publish(_dir, "s", ids, vectors, 2));
    }

    /// <summary>An order-sensitive stand-in for the update graph: h' = (31 h0 + mean0, h1 + 1); it ignores the gap, as a
    /// model whose high level does not read the time does.</summary>
    private static float[] CloseSession(float[] h, float[] mean, float gapMinutes) => [31 * h[0] + mean[0], h[1] + 1];

    /// <summary>A stand-in for a time-gap model's update graph: h' = (mean0, gap minutes).</summary>
    private static float[] CloseWithGap(float[] h, float[] mean, float gapMinutes) => [mean[0], gapMinutes];

    private static UserState NewState() => new("v1", 1, 2, 2);

    private SessionLogic.Counts Apply(UserState state, int sessionCapacity, int idCapacity, params ObservedEvent[] events)
        => SessionLogic.Apply(state, events, _snapshot, Rule, sessionCapacity, idCapacity, CloseSession);

    private SessionLogic.Counts Apply(UserState state, params ObservedEvent[] events) => Apply(state, 5, 256, events);

    private static ObservedEvent Ev(long item, long ts, string id) => new(1, item, ts, id);

    [Fact]
    public void Apply_SeventyEventsInOneMillisecondThenTheFirstResent_DuplicateWhateverItsTimestamp()
    {
        var state = NewState();
        Assert.Equal(70, Apply(state, [.. Enumerable.Range(0, 70).Select(i => Ev(1 + i % 8, T, $"m{i}"))]).Applied);
        Assert.Equal(1, Apply(state, Ev(2, T + 1, "later")).Applied); // time moves on: the recent ids shrink back to 64
        var before = UserStateSerializer.Serialize(state);

        foreach (long ts in new[] { T, T + 5, T - 5, T + 2 * Gap })
        {
            Assert.Equal(new SessionLogic.Counts(0, 1, 0, 0, 0), Apply(state, Ev(1, ts, "m0")));
        }
        Assert.Equal(before, UserStateSerializer.Serialize(state));
        Assert.Equal(71, state.SessionCount);
    }

    [Fact]
    public void Apply_ShuffledDeliveryWithinOneSession_SameStateAsInOrder()
    {
        // A closed session first (so the high-level state and the late bound are set), then one session of 12 events
        // with distinct times and repeated items, longer than the 5 listed items.
        ObservedEvent[] closed = [Ev(7, T, "c0"), Ev(8, T + 1000, "c1")];
        long s = T + 1000 + Gap + 60_000;
        long[] items = [1, 2, 2, 3, 1, 4, 4, 4, 5, 6, 2, 1];
        ObservedEvent[] session = [.. items.Select((item, i) => Ev(item, s + i * 7_000 + (i % 3) * 1000, $"e{i}"))];
        var expected = NewState();
        Apply(expected, closed);
        Assert.Equal(12, Apply(expected, session).Applied);
        Assert.Equal([4L, 5, 6, 2, 1], expected.SessionItems);

        var random = new Random(13);
        for (int trial = 0; trial < 25; trial++)
        {
            var state = NewState();
            Apply(state, closed);
            var order = session.ToArray();
            random.Shuffle(order);
            // One event per call, as when two pods deliver them; the first to arrive closes the previous session.
            var counts = order.Select(e => Apply(state, e)).ToList();
            Assert.All(counts, c => Assert.Equal((1, 0, 0), (c.Applied, c.Duplicates, c.Late)));
            Assert.Equal(1, counts[0].SessionsClosed);
            Assert.Equal(1, counts.Sum(c => c.SessionsClosed));
            Assert.Equal(expected.SessionItems, state.SessionItems);
            Assert.Equal(expected.SessionItemTimes, state.SessionItemTimes);
            Assert.Equal(expected.SessionSum, state.SessionSum);
            Assert.Equal(expected.SessionCount, state.SessionCount);
            Assert.Equal(expected.SessionStartMs, state.SessionStartMs);
            Assert.Equal(expected.LastEventMs, state.LastEventMs);
            Assert.Equal(expected.HiddenState, state.HiddenState);
            Assert.Equal(expected.SessionEventIds, state.SessionEventIds);
            Assert.Equal(expected.SessionEventTimes, state.SessionEventTimes);
            Assert.Equal(expected.LateBeforeMs, state.LateBeforeMs);
            // Every event is remembered, whichever came last.
            Assert.Equal(12, Apply(state, session).Duplicates);
        }
    }

    [Fact]
    public void Apply_EqualTimestamps_KeepArrivalOrder()
    {
        var state = NewState();
        Apply(state, Ev(1, T, "a"), Ev(2, T + 20, "b"));
        Apply(state, Ev(3, T, "c"));
        Apply(state, Ev(4, T + 20, "d"));
        Assert.Equal([1L, 3, 2, 4], state.SessionItems);
        Assert.Equal([T, T, T + 20, T + 20], state.SessionItemTimes);
    }

    [Fact]
    public void Apply_ResentEventAfterItsSessionClosed_NotAppliedAgain()
    {
        var state = NewState();
        Apply(state, Ev(1, T, "old0"), Ev(2, T + 1000, "old1"));
        long next = T + 1000 + Gap + 1;
        Assert.Equal(1, Apply(state, Ev(3, next, "new0")).SessionsClosed);
        var hidden = state.HiddenState.ToArray();

        // Still among the recent ids: a duplicate.
        Assert.Equal(new SessionLogic.Counts(0, 1, 0, 0, 0), Apply(state, Ev(1, T, "old0")));
        // Forgotten after 70 newer events: late, since its session is folded into the high-level state.
        Apply(state, [.. Enumerable.Range(1, 70).Select(i => Ev(1 + i % 8, next + i, $"new{i}"))]);
        Assert.Equal(new SessionLogic.Counts(0, 0, 1, 0, 0), Apply(state, Ev(1, T, "old0")));
        Assert.Equal(hidden, state.HiddenState);
        Assert.Equal(71, state.SessionCount);
    }

    [Fact]
    public void Apply_EventBeforeTheOpenSession_LateUnlessItStartsIt()
    {
        var state = NewState();
        Apply(state, Ev(1, T, "a0"), Ev(2, T + 1000, "a1"));
        long start = T + 1000 + 3 * Gap;
        Apply(state, Ev(3, start, "b0"), Ev(4, start + 1000, "b1"));
        Assert.Equal(T + 1000 + Gap + 1, state.LateBeforeMs);

        // Within the gap of the closed session's last event: it belongs to that session.
        Assert.Equal(1, Apply(state, Ev(5, T + 1000 + Gap, "x")).Late);
        // More than the gap from both sessions: a session of its own, in the past.
        Assert.Equal(1, Apply(state, Ev(5, start - Gap - 1, "y")).Late);
        // Within the gap before the open session and beyond the closed one's: it starts the open session.
        Assert.Equal(1, Apply(state, Ev(5, start - Gap, "z")).Applied);
        Assert.Equal([5L, 3, 4], state.SessionItems);
        Assert.Equal(start - Gap, state.SessionStartMs);
        Assert.Equal(start + 1000, state.LastEventMs);
        // Between two events of the open session: inserted.
        Assert.Equal(1, Apply(state, Ev(6, start + 500, "w")).Applied);
        Assert.Equal([5L, 3, 6, 4], state.SessionItems);
        Assert.Equal(4, state.SessionCount);
    }

    [Fact]
    public void Close_ThenAnEventAtTheLastMillisecond_Late()
    {
        var state = NewState();
        Apply(state, Ev(1, T, "a"));
        Assert.True(SessionLogic.Close(state, CloseSession));
        Assert.Equal(1, Apply(state, Ev(2, T, "b")).Late);
        Assert.Equal(1, Apply(state, Ev(2, T + 1, "c")).Applied);
        Assert.Equal([2L], state.SessionItems);
    }

    /// <summary>A session closed by a later event is folded with the minutes from its last event to that event.</summary>
    [Fact]
    public void Apply_EventAfterTheSessionGap_FoldsWithTheMinutesBetween()
    {
        var state = NewState();
        SessionLogic.Apply(state, [Ev(3, T, "a"), Ev(5, T + 60_000, "b")], _snapshot, Rule, 5, 256, CloseWithGap);
        var counts = SessionLogic.Apply(state, [Ev(2, T + 60_000 + 90 * 60_000, "c")], _snapshot, Rule, 5, 256, CloseWithGap);
        Assert.Equal(1, counts.SessionsClosed);
        Assert.Equal([4f, 90f], state.HiddenState);                      // the mean of items 3 and 5, 90 minutes
        Assert.Equal([2L], state.SessionItems);
    }

    /// <summary>For a model that reads the time between sessions, EndSession only marks the session ended: nothing is
    /// folded until the next event, which starts a new session even within the session gap and folds the ended one with
    /// the real minutes between them; the mark survives the stored form, and a second EndSession has nothing to end.</summary>
    [Fact]
    public void Close_FoldAtNextSession_FoldsWhenTheNextEventComesWithItsGap()
    {
        var state = NewState();
        SessionLogic.Apply(state, [Ev(3, T, "a"), Ev(5, T + 1000, "b")], _snapshot, Rule, 5, 256, CloseWithGap);
        float[] before = [.. state.HiddenState];
        Assert.True(SessionLogic.Close(state, CloseWithGap, foldAtNextSession: true));
        Assert.True(state.SessionEnded);
        Assert.Equal(before, state.HiddenState);
        Assert.Equal(2, state.SessionCount);
        Assert.False(SessionLogic.Close(state, CloseWithGap, foldAtNextSession: true));

        state = UserStateSerializer.Deserialize(UserStateSerializer.Serialize(state));
        Assert.True(state.SessionEnded);
        Assert.Equal(1, SessionLogic.Apply(state, [Ev(2, T + 1000, "late")], _snapshot, Rule, 5, 256, CloseWithGap).Late);
        var counts = SessionLogic.Apply(state, [Ev(2, T + 1000 + 6 * 60_000, "c")], _snapshot, Rule, 5, 256, CloseWithGap);
        Assert.Equal(1, counts.SessionsClosed);
        Assert.Equal([4f, 6f], state.HiddenState);
        Assert.False(state.SessionEnded);
        Assert.Equal([2L], state.SessionItems);
        Assert.Equal(1, state.SessionCount);
    }

    [Fact]
    public void Apply_OpenSessionBeyondItsEventIdBound_OlderEventsLate()
    {
        var state = NewState();
        Assert.Equal(6, Apply(state, 3, 4, [.. Enumerable.Range(1, 6).Select(i => Ev(i, T + 10 * i, $"e{i}"))]).Applied);
        Assert.Equal([T + 30, T + 40, T + 50, T + 60], state.SessionEventTimes);
        Assert.Equal(T + 21, state.LateBeforeMs);

        // e1 left the open session's ids (a resend is still among the recent ones); a new event that old is late.
        Assert.Equal(new SessionLogic.Counts(0, 1, 0, 0, 0), Apply(state, 3, 4, Ev(1, T + 10, "e1")));
        Assert.Equal(new SessionLogic.Counts(0, 0, 1, 0, 0), Apply(state, 3, 4, Ev(1, T + 15, "n1")));
        // Newer than the bound: applied, though older than every remembered session id, which moves the bound past it.
        Assert.Equal(1, Apply(state, 3, 4, Ev(7, T + 25, "n2")).Applied);
        Assert.Equal(T + 26, state.LateBeforeMs);
        Assert.Equal(new SessionLogic.Counts(0, 0, 1, 0, 0), Apply(state, 3, 4, Ev(7, T + 25, "n3")));
        Assert.Equal(new SessionLogic.Counts(0, 1, 0, 0, 0), Apply(state, 3, 4, Ev(7, T + 25, "n2")));
        Assert.Equal(7, state.SessionCount);
        Assert.Equal([4L, 5, 6], state.SessionItems);
    }

    [Fact]
    public void Apply_StateWithoutItemTimes_ItemsCountAsAtTheLastEvent()
    {
        // What a format 1 record decodes to (UserStateFormatTests): items without known times, nothing older than the
        // last event applicable.
        var state = new UserState("v1", 1, 2, 2)
        {
            LastEventMs = T,
            LateBeforeMs = T,
            SessionItems = [1, 2],
            SessionSum = [3f, 30f],
            SessionCount = 2,
            RecentEventIds = [EventIds.Hash("a"), EventIds.Hash("b")],
        };
        Assert.Equal(new SessionLogic.Counts(0, 1, 1, 0, 0), Apply(state, Ev(3, T - 1, "c"), Ev(1, T - 5, "a")));
        Assert.Equal(1, Apply(state, Ev(3, T, "d")).Applied);
        Assert.Equal([1L, 2, 3], state.SessionItems);
        Assert.Equal([T, T, T], state.SessionItemTimes);
        Assert.Equal(T, state.SessionStartMs);
    }

    public void Dispose()
    {
        _snapshot.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

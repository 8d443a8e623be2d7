using HierTcn.Inference.V1;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Session rules through the real server: exactly-once by event id, events of the open session in time order
/// whatever the arrival order, late events counted, the gap closing a session, EndSession, and a request time beyond
/// the gap.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class SessionTests(ServedModelFixture model) : IAsyncLifetime
{
    private TestServer _server = null!;

    private long Item(int i) => model.Data.ItemIds[i];

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(model);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ObserveEvents_SameEventIdsTwice_AppliedOnce()
    {
        var c = _server.Client;
        var batch = Batch(Ev(1, Item(1), T0, "a"), Ev(1, Item(2), T0 + 1000, "b"));
        var first = await c.ObserveEventsAsync(batch);
        var before = await c.EmbeddingAsync(1, T0 + 2000);
        var retry = await c.ObserveEventsAsync(batch);
        Assert.Equal((2, 0), (first.Applied, first.Duplicates));
        Assert.Equal((0, 2), (retry.Applied, retry.Duplicates));
        Assert.Equal(before, await c.EmbeddingAsync(1, T0 + 2000));
    }

    [Fact]
    public async Task ObserveEvents_SeventyEventsInOneMillisecondThenTheFirstResent_Duplicate()
    {
        // Issue 13: the first id had left the 64 remembered ids, and at the same millisecond it is not late.
        var c = _server.Client;
        var first = await c.ObserveEventsAsync(Batch([.. Enumerable.Range(0, 70).Select(i => Ev(11, Item(i % 10), T0, $"m{i}"))]));
        Assert.Equal(70, first.Applied);
        var before = await c.EmbeddingAsync(11, T0 + 1000);
        var resent = await c.ObserveEventsAsync(Batch(Ev(11, Item(0), T0, "m0")));
        Assert.Equal((0, 1), (resent.Applied, resent.Duplicates));
        Assert.Equal(before, await c.EmbeddingAsync(11, T0 + 1000));
    }

    [Fact]
    public async Task ObserveEvents_ConcurrentRetries_EachEventAppliedOnce()
    {
        var c = _server.Client;
        var events = Enumerable.Range(0, 20).Select(i => Ev(2, Item(i), T0 + i * 1000, $"e{i}")).ToArray();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => c.ObserveEventsAsync(Batch(events)).ResponseAsync));
        Assert.Equal(20, results.Sum(r => r.Applied));
        Assert.Equal(8 * 20 - 20, results.Sum(r => r.Duplicates + r.Late));
        // The same history applied once, in order, to a fresh user gives the same embedding.
        await c.ObserveEventsAsync(Batch([.. events.Select(e => Ev(3, e.ItemId, e.TimestampMs, e.EventId))]));
        Assert.Equal(await c.EmbeddingAsync(3, T0 + 30_000), await c.EmbeddingAsync(2, T0 + 30_000));
    }

    [Fact]
    public async Task ObserveEvents_OlderThanTheOpenSession_CountedLateAndNotApplied()
    {
        var c = _server.Client;
        long later = T0 + 2 * 3_600_000;
        await c.ObserveEventsAsync(Batch(Ev(4, Item(1), T0, "a"), Ev(4, Item(2), later, "b")));
        var before = await c.EmbeddingAsync(4, later + 1000);
        // Within the gap of the closed session's last event: that session is folded into the high-level state.
        var late = await c.ObserveEventsAsync(Batch(Ev(4, Item(3), T0 + 30_000, "c")));
        Assert.Equal((0, 1), (late.Applied, late.Late));
        Assert.Equal(before, await c.EmbeddingAsync(4, later + 1000));
        // Same millisecond as the last event is not late.
        Assert.Equal(1, (await c.ObserveEventsAsync(Batch(Ev(4, Item(3), later, "d")))).Applied);
    }

    [Fact]
    public async Task ObserveEvents_OutOfOrderAcrossCalls_InsertedInTimeOrder()
    {
        // Two pods deliver one session's events in another order than their times: none is lost, and the state is
        // the one the events give in time order.
        var c = _server.Client;
        await c.ObserveEventsAsync(Batch(Ev(12, Item(1), T0, "a"), Ev(12, Item(3), T0 + 2000, "c")));
        var inserted = await c.ObserveEventsAsync(Batch(Ev(12, Item(2), T0 + 1000, "b")));
        Assert.Equal((1, 0), (inserted.Applied, inserted.Late));
        await c.ObserveEventsAsync(Batch(Ev(13, Item(1), T0, "a"), Ev(13, Item(2), T0 + 1000, "b"), Ev(13, Item(3), T0 + 2000, "c")));
        Assert.Equal(await c.EmbeddingAsync(13, T0 + 3000), await c.EmbeddingAsync(12, T0 + 3000));
        var resent = await c.ObserveEventsAsync(Batch(Ev(12, Item(2), T0 + 1000, "b"), Ev(12, Item(1), T0, "a")));
        Assert.Equal((0, 2), (resent.Applied, resent.Duplicates));
    }

    [Fact]
    public async Task ObserveEvents_OutOfOrderWithinOneCall_AppliedInTimeOrder()
    {
        var c = _server.Client;
        await c.ObserveEventsAsync(Batch(Ev(5, Item(3), T0 + 2000, "c"), Ev(5, Item(1), T0, "a"), Ev(5, Item(2), T0 + 1000, "b")));
        await c.ObserveEventsAsync(Batch(Ev(6, Item(1), T0, "a")));
        await c.ObserveEventsAsync(Batch(Ev(6, Item(2), T0 + 1000, "b")));
        await c.ObserveEventsAsync(Batch(Ev(6, Item(3), T0 + 2000, "c")));
        Assert.Equal(await c.EmbeddingAsync(6, T0 + 3000), await c.EmbeddingAsync(5, T0 + 3000));
    }

    [Fact]
    public async Task ObserveEvents_GapAboveSessionGap_ClosesPreviousSessionFirst()
    {
        var c = _server.Client;
        long later = T0 + 2 * 3_600_000;
        // User 7: the gap rule closes the session; user 8: the session is closed explicitly, then the same event.
        await c.ObserveEventsAsync(Batch(Ev(7, Item(1), T0, "a"), Ev(7, Item(2), T0 + 1000, "b"), Ev(7, Item(5), later, "c")));
        await c.ObserveEventsAsync(Batch(Ev(8, Item(1), T0, "a"), Ev(8, Item(2), T0 + 1000, "b")));
        var openSession = await c.EmbeddingAsync(8, T0 + 2000);
        var end = await c.EndSessionAsync(new EndSessionRequest { UserId = 8 });
        Assert.True(end.Closed);
        Assert.False((await c.EndSessionAsync(new EndSessionRequest { UserId = 8 })).Closed);
        await c.ObserveEventsAsync(Batch(Ev(8, Item(5), later, "c")));
        var gap = await c.EmbeddingAsync(7, later + 1000);
        Assert.Equal(await c.EmbeddingAsync(8, later + 1000), gap);
        Assert.True(MaxAbsDiff(openSession, gap) > 1e-3, "closing a session must change the user embedding");
    }

    [Fact]
    public async Task Recommend_TimeBeyondSessionGap_RanksForANewSession()
    {
        var c = _server.Client;
        await c.ObserveEventsAsync(Batch(Ev(9, Item(1), T0, "a"), Ev(9, Item(2), T0 + 1000, "b")));
        await c.ObserveEventsAsync(Batch(Ev(10, Item(1), T0, "a"), Ev(10, Item(2), T0 + 1000, "b")));
        await c.EndSessionAsync(new EndSessionRequest { UserId = 10 });
        long later = T0 + 1000 + 1_800_001;
        Assert.Equal(await c.EmbeddingAsync(10, later), await c.EmbeddingAsync(9, later));
        Assert.True(MaxAbsDiff(await c.EmbeddingAsync(9, T0 + 1000 + 1_800_000), await c.EmbeddingAsync(9, later)) > 1e-3,
            "exactly the session gap is still the same session");
        // Asking does not store anything: the open session is still there for the next event.
        Assert.True((await c.EndSessionAsync(new EndSessionRequest { UserId = 9 })).Closed);
    }
}

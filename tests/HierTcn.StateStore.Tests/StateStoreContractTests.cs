using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

/// <summary>The behaviour every <see cref="IStateStore"/> must have. Each implementation's test class inherits it.</summary>
public abstract class StateStoreContractTests : IAsyncLifetime
{
    protected TempDirectory Directory { get; } = new();

    protected IStateStore Store { get; private set; } = null!;

    protected abstract Task<IStateStore> CreateStoreAsync();

    protected virtual Task DisposeStoreAsync() => Store.DisposeAsync().AsTask();

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        await DisposeStoreAsync();
        Directory.Dispose();
    }

    [Fact]
    public async Task Get_Missing_ReturnsNotFound()
    {
        var result = await Store.GetAsync(new StateKey("m1", 404));
        Assert.Equal(StoreStatus.NotFound, result.Status);
        Assert.Null(result.State);
    }

    [Fact]
    public async Task Put_ThenGet_ReturnsSameStateWithVersion()
    {
        var state = TestStates.Make(1, 5);
        var put = await Store.PutAsync(state);
        Assert.Equal(StoreStatus.Ok, put.Status);
        Assert.Equal(1UL, put.Version);
        Assert.Equal(1UL, state.Version);

        var got = await Store.GetAsync(new StateKey("m1", 1));
        Assert.Equal(StoreStatus.Ok, got.Status);
        Assert.Equal(1UL, got.State!.Version);
        Assert.Equal(5, TestStates.CounterOf(got.State));
    }

    [Fact]
    public async Task GetForRanking_StoredState_HasWhatRankingReads()
    {
        var state = TestStates.Make(9, 3);
        state.SessionEventIds = [70, 71];
        state.SessionEventTimes = [5, 6];
        state.SessionItemTimes = [1, 2];
        Assert.Equal(StoreStatus.Ok, (await Store.PutAsync(state)).Status);

        var got = await Store.GetForRankingAsync(new StateKey("m1", 9));

        Assert.Equal(StoreStatus.Ok, got.Status);
        var read = got.State!;
        Assert.Equal(state.HiddenState, read.HiddenState);
        Assert.Equal(state.SessionSum, read.SessionSum);
        Assert.Equal(state.SessionItems, read.SessionItems);
        Assert.Equal(state.SessionCount, read.SessionCount);
        Assert.Equal(state.LastEventMs, read.LastEventMs);
        Assert.Equal(1UL, read.Version);
        // A store may leave the event ids out (and say so), or read the whole state.
        Assert.Equal(read.EventsOmitted ? Array.Empty<long>() : state.SessionEventIds, read.SessionEventIds);
        Assert.Equal(read.EventsOmitted ? Array.Empty<long>() : state.RecentEventIds, read.RecentEventIds);
        Assert.Equal(StoreStatus.Ok, (await Store.GetAsync(new StateKey("m1", 9))).Status);
        Assert.Equal(state.SessionEventIds, (await Store.GetAsync(new StateKey("m1", 9))).State!.SessionEventIds);
    }

    [Fact]
    public async Task Get_LargeStateThenSmallOne_ReadsEachWhole()
    {
        // Reads may share a buffer: a large value read first must not leak into a smaller one read after it.
        var large = TestStates.Make(10, 4, hiddenSize: 3000);
        var small = TestStates.Make(11, 6);
        await Store.PutAsync(large);
        await Store.PutAsync(small);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(4, TestStates.CounterOf((await Store.GetAsync(new StateKey("m1", 10))).State!));
            Assert.Equal(6, TestStates.CounterOf((await Store.GetAsync(new StateKey("m1", 11))).State!));
            var ranked = (await Store.GetForRankingAsync(new StateKey("m1", 11))).State!;
            Assert.Equal(small.HiddenState, ranked.HiddenState);
            Assert.Equal(small.SessionSum, ranked.SessionSum);
            Assert.Equal(small.SessionItems, ranked.SessionItems);
        }
    }

    [Fact]
    public async Task Put_Repeatedly_IncrementsVersion()
    {
        for (int i = 1; i <= 3; i++)
            Assert.Equal((ulong)i, (await Store.PutAsync(TestStates.Make(2, i))).Version);
        Assert.Equal(3, TestStates.CounterOf((await Store.GetAsync(new StateKey("m1", 2))).State!));
    }

    [Fact]
    public async Task Get_SameUserOtherModelVersion_IsSeparate()
    {
        await Store.PutAsync(TestStates.Make(3, 1, model: "a"));
        await Store.PutAsync(TestStates.Make(3, 2, model: "b"));
        Assert.Equal(1, TestStates.CounterOf((await Store.GetAsync(new StateKey("a", 3))).State!));
        Assert.Equal(2, TestStates.CounterOf((await Store.GetAsync(new StateKey("b", 3))).State!));
        Assert.Equal(StoreStatus.NotFound, (await Store.GetAsync(new StateKey("c", 3))).Status);
    }

    [Fact]
    public async Task CompareAndSwap_ExpectedVersion_Applies()
    {
        Assert.Equal(StoreStatus.Ok, (await Store.CompareAndSwapAsync(TestStates.Make(4, 1), 0)).Status);
        var second = await Store.CompareAndSwapAsync(TestStates.Make(4, 2), 1);
        Assert.Equal(StoreStatus.Ok, second.Status);
        Assert.Equal(2UL, second.Version);
    }

    [Fact]
    public async Task CompareAndSwap_StaleVersion_ReturnsMismatchWithCurrent()
    {
        await Store.PutAsync(TestStates.Make(5, 1));
        await Store.PutAsync(TestStates.Make(5, 2));
        var stale = await Store.CompareAndSwapAsync(TestStates.Make(5, 3), 1);
        Assert.Equal(StoreStatus.VersionMismatch, stale.Status);
        Assert.Equal(2UL, stale.Version);
        var create = await Store.CompareAndSwapAsync(TestStates.Make(5, 3), 0);
        Assert.Equal(StoreStatus.VersionMismatch, create.Status);
        Assert.Equal(2, TestStates.CounterOf((await Store.GetAsync(new StateKey("m1", 5))).State!));
    }

    [Fact]
    public async Task CompareAndSwap_AbsentWithNonZeroVersion_ReturnsMismatchZero()
    {
        var result = await Store.CompareAndSwapAsync(TestStates.Make(6, 1), 3);
        Assert.Equal(StoreStatus.VersionMismatch, result.Status);
        Assert.Equal(0UL, result.Version);
    }

    [Fact]
    public async Task Delete_Existing_RemovesIt()
    {
        await Store.PutAsync(TestStates.Make(7, 1));
        Assert.Equal(StoreStatus.Ok, (await Store.DeleteAsync(new StateKey("m1", 7))).Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.GetAsync(new StateKey("m1", 7))).Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.DeleteAsync(new StateKey("m1", 7))).Status);
    }

    [Fact]
    public async Task Delete_ThenCreateAgain_VersionAboveEveryEarlierOne()
    {
        ulong last = 0;
        for (int i = 1; i <= 3; i++)
            last = (await Store.PutAsync(TestStates.Make(9, i))).Version;
        Assert.Equal(StoreStatus.Ok, (await Store.DeleteAsync(new StateKey("m1", 9))).Status);
        // A writer that read version 1 before the delete must not overwrite the new state (no ABA).
        var recreated = await Store.CompareAndSwapAsync(TestStates.Make(9, 10), 0);
        Assert.Equal(StoreStatus.Ok, recreated.Status);
        Assert.True(recreated.Version > last, $"version {recreated.Version} after the delete, {last} before it");
        Assert.Equal(StoreStatus.VersionMismatch, (await Store.CompareAndSwapAsync(TestStates.Make(9, 11), 1)).Status);
    }

    [Fact]
    public async Task PutMany_GetMany_KeepRequestOrder()
    {
        var states = Enumerable.Range(100, 40).Select(u => TestStates.Make(u, u * 2)).ToList();
        var writes = await Store.PutManyAsync(states);
        Assert.All(writes, w => Assert.Equal(StoreStatus.Ok, w.Status));
        var keys = Enumerable.Range(95, 50).Select(u => new StateKey("m1", u)).ToList();
        var reads = await Store.GetManyAsync(keys);
        for (int i = 0; i < keys.Count; i++)
        {
            long user = keys[i].UserId;
            if (user < 100 || user >= 140)
            {
                Assert.Equal(StoreStatus.NotFound, reads[i].Status);
            }
            else
            {
                Assert.Equal(user, reads[i].State!.UserId);
                Assert.Equal(user * 2, TestStates.CounterOf(reads[i].State!));
            }
        }
    }

    [Fact]
    public async Task Put_StateOverLimit_ReturnsInvalidArgument()
    {
        var huge = TestStates.Make(8, 1, hiddenSize: 8192);
        var result = await Store.PutAsync(huge);
        Assert.Equal(StoreStatus.InvalidArgument, result.Status);
        Assert.Contains("MaxStateBytes", result.Error);
        Assert.Equal(StoreStatus.NotFound, (await Store.GetAsync(new StateKey("m1", 8))).Status);
    }

    [Fact]
    public async Task NegativeUserId_EveryCallInvalidArgumentNothingStored()
    {
        var key = new StateKey(TestStates.Model, -5);
        var put = await Store.PutAsync(TestStates.Make(-5, 1));
        Assert.Equal(StoreStatus.InvalidArgument, put.Status);
        Assert.Contains("not negative", put.Error);
        Assert.Equal(StoreStatus.InvalidArgument, (await Store.CompareAndSwapAsync(TestStates.Make(-5, 1), 0)).Status);
        Assert.Equal(StoreStatus.InvalidArgument, (await Store.GetAsync(key)).Status);
        Assert.Equal(StoreStatus.InvalidArgument, (await Store.DeleteAsync(key)).Status);
        // The same user id without its sign is another user, untouched.
        Assert.Equal(StoreStatus.NotFound, (await Store.GetAsync(new StateKey(TestStates.Model, 5))).Status);
    }

    [Fact]
    public async Task CompareAndSwap_ConcurrentWriters_NoLostUpdate()
    {
        // 8 writers increment 4 shared counters by read + CAS + retry; every increment must land exactly once.
        const int writers = 8, increments = 15, users = 4;
        var initial = new ulong[users];
        for (int u = 0; u < users; u++)
            initial[u] = (await Store.PutAsync(TestStates.Make(1000 + u, 0))).Version;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < increments; i++)
            {
                var key = new StateKey("m1", 1000 + ((w + i) % users));
                while (true)
                {
                    var current = (await Store.GetAsync(key)).State!;
                    long counter = TestStates.CounterOf(current);
                    var next = TestStates.Make(key.UserId, counter + 1);
                    var result = await Store.CompareAndSwapAsync(next, current.Version);
                    if (result.Status == StoreStatus.Ok)
                        break;
                    Assert.Equal(StoreStatus.VersionMismatch, result.Status);
                }
            }
        })));
        long total = 0;
        for (int u = 0; u < users; u++)
        {
            var state = (await Store.GetAsync(new StateKey("m1", 1000 + u))).State!;
            long counter = TestStates.CounterOf(state);
            Assert.Equal(initial[u] + (ulong)counter, state.Version);
            total += counter;
        }
        Assert.Equal(writers * increments, total);
    }
}

public sealed class EmbeddedStateStoreTests : StateStoreContractTests
{
    protected override async Task<IStateStore> CreateStoreAsync()
        => await EmbeddedStateStore.OpenAsync(TestStates.SmallOptions(Directory.Path));

    [Fact]
    public async Task GetForRanking_Embedded_LeavesOutTheEventsAndCannotBeWrittenBack()
    {
        var state = TestStates.Make(12, 2);
        state.SessionEventIds = [80];
        state.SessionEventTimes = [7];
        await Store.PutAsync(state);

        var read = (await Store.GetForRankingAsync(new StateKey("m1", 12))).State!;

        Assert.True(read.EventsOmitted);
        Assert.Empty(read.SessionEventIds);
        Assert.Empty(read.RecentEventIds);
        Assert.Equal(StoreStatus.InvalidArgument, (await Store.CompareAndSwapAsync(read, read.Version)).Status);
        Assert.Equal(new long[] { 80 }, (await Store.GetAsync(new StateKey("m1", 12))).State!.SessionEventIds);
    }
}

public sealed class RemoteStateStoreTests : StateStoreContractTests
{
    private readonly List<InProcessShard> _shards = [];

    protected override async Task<IStateStore> CreateStoreAsync()
    {
        // Two shards, so the contract also covers routing and split batches.
        _shards.Add(await InProcessShard.StartAsync(Directory.Sub("shard0")));
        _shards.Add(await InProcessShard.StartAsync(Directory.Sub("shard1")));
        return new RemoteStateStore(new RemoteStateStoreOptions { Shards = [.. _shards.Select(s => s.Address)] });
    }

    protected override async Task DisposeStoreAsync()
    {
        await Store.DisposeAsync();
        foreach (var shard in _shards)
            await shard.DisposeAsync();
    }
}

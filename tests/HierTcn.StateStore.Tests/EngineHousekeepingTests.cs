using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

public sealed class EngineHousekeepingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RunHousekeeping_UserInactiveBeyondTtl_IsDeletedDurably()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = TestStates.SmallOptions(_dir.Path);
        options.UserTtl = TimeSpan.FromDays(30);
        // The background loop runs on this clock too: out of its way, so the call below does all the expiring.
        options.HousekeepingInterval = TimeSpan.FromDays(3650);
        var engine = await StateStoreEngine.OpenAsync(options, null, clock);
        ulong highest = 0;
        for (int u = 0; u < 20; u++)
            highest = Math.Max(highest, (await engine.PutAsync(TestStates.Make(u, 1))).Version);
        clock.Now += TimeSpan.FromDays(20);
        for (int u = 10; u < 20; u++)
            highest = Math.Max(highest, (await engine.PutAsync(TestStates.Make(u, 2))).Version);
        clock.Now += TimeSpan.FromDays(15);

        var report = await engine.RunHousekeepingAsync();

        Assert.Equal(10, report.Expired);
        Assert.Equal(10, report.LiveRecords);
        await engine.AbandonAsync();
        await using var reopened = await StateStoreEngine.OpenAsync(options, null, clock);
        for (int u = 0; u < 10; u++)
            Assert.Equal(StoreStatus.NotFound, (await reopened.GetAsync(new StateKey(TestStates.Model, u))).Status);
        for (int u = 10; u < 20; u++)
            Assert.Equal(2, TestStates.CounterOf((await reopened.GetAsync(new StateKey(TestStates.Model, u))).State!));
        // An expired user written again gets a version above every earlier one, across the restart (no ABA).
        var recreated = await reopened.CompareAndSwapAsync(TestStates.Make(0, 9), 0);
        Assert.Equal(StoreStatus.Ok, recreated.Status);
        Assert.True(recreated.Version > highest, $"version {recreated.Version}, highest before {highest}");
    }

    [Fact]
    public async Task BackgroundLoop_ClockMovedPastTtl_ExpiresUsersWithoutWaiting()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = TestStates.SmallOptions(_dir.Path);
        options.UserTtl = TimeSpan.FromDays(30);
        await using var engine = await StateStoreEngine.OpenAsync(options, null, clock);
        for (int u = 0; u < 5; u++)
            await engine.PutAsync(TestStates.Make(u, 1));
        // The background loop ticks on the engine's clock: once its timer exists, moving the clock is all it takes.
        await WaitUntilAsync(() => Task.FromResult(clock.Timers > 0), "the background loop's timer exists");
        clock.Now += options.UserTtl + options.HousekeepingInterval;

        await WaitUntilAsync(async () =>
        {
            for (int u = 0; u < 5; u++)
            {
                if ((await engine.GetAsync(new StateKey(TestStates.Model, u))).Status != StoreStatus.NotFound)
                    return false;
            }
            return true;
        }, "the background housekeeping expires every user");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"not reached within 30 s: {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task RunHousekeeping_ManyOverwrites_DiskStaysBounded()
    {
        var options = TestStates.SmallOptions(_dir.Path);
        options.UserTtl = TimeSpan.Zero;
        await using var engine = await StateStoreEngine.OpenAsync(options);
        const int users = 50, rounds = 80;
        long written = 0;
        bool compacted = false;
        for (int round = 1; round <= rounds; round++)
        {
            var states = Enumerable.Range(0, users).Select(u => TestStates.Make(u, round, hiddenSize: 512)).ToList();
            written += states.Sum(s => HierTcn.Formats.State.UserStateSerializer.GetSize(s));
            var writes = await Task.WhenAll(states.Select(s => engine.PutAsync(s).AsTask()));
            Assert.All(writes, w => Assert.Equal(StoreStatus.Ok, w.Status));
            if (round % 5 == 0)
            {
                await engine.CheckpointAsync();
                compacted |= (await engine.RunHousekeepingAsync()).Compacted;
            }
        }
        var stats = engine.GetStats();
        Assert.True(compacted, "compaction never ran");
        // 80 rounds wrote ~8 MiB; what stays on disk is bounded by the live data plus fixed overhead (segments, index).
        Assert.True(stats.DiskBytes < written / 2, $"disk {stats.DiskBytes} bytes after writing {written}; store log {stats.StoreLogBytes}, WAL {stats.WalBytes}");
        for (int u = 0; u < users; u++)
            Assert.Equal(rounds, TestStates.CounterOf((await engine.GetAsync(new StateKey(TestStates.Model, u))).State!));
    }

    [Fact]
    public async Task CheckpointAsync_Repeated_KeepsTwoCheckpointsAndTruncatesWal()
    {
        await using var engine = await StateStoreEngine.OpenAsync(TestStates.SmallOptions(_dir.Path));
        for (int round = 1; round <= 6; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 100).Select(u => engine.PutAsync(TestStates.Make(u, round, hiddenSize: 1024)).AsTask()));
            Assert.True(await engine.CheckpointAsync());
        }
        var kept = Directory.GetDirectories(Path.Combine(_dir.Path, "checkpoints", "cpr-checkpoints"));
        Assert.Equal(2, kept.Length);
        // Six rounds of ~400 KiB each went through the WAL; only the part since the older kept checkpoint remains.
        Assert.True(engine.GetStats().WalBytes < 2L << 20, $"WAL holds {engine.GetStats().WalBytes} bytes");
    }
}

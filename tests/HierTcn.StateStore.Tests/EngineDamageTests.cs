using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

/// <summary>Damaged files at open (issue 13): never a crash, never a silent loss; either every acknowledged write the
/// damage did not itself destroy comes back, or the store refuses to open with the reason and the repair command.</summary>
public sealed class EngineDamageTests : IDisposable
{
    private const int Users = 400;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<StateStoreEngine> OpenAsync(CapturingLoggerFactory? logs = null)
        => StateStoreEngine.OpenAsync(TestStates.SmallOptions(_dir.Path), logs);

    private string Hlog => Path.Combine(_dir.Path, "hlog", "hlog.log.0");

    private string Wal => Path.Combine(_dir.Path, "wal", "wal.log.0");

    private static async Task PutAllAsync(StateStoreEngine engine, long counter, int users = Users)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, users).Select(u => engine.PutAsync(TestStates.Make(u, counter)).AsTask()));
        Assert.All(results, r => Assert.Equal(StoreStatus.Ok, r.Status));
    }

    private static async Task<int> CountAtAsync(StateStoreEngine engine, long counter, int users = Users)
    {
        int found = 0;
        for (int u = 0; u < users; u++)
        {
            var read = await engine.GetAsync(new StateKey(TestStates.Model, u));
            if (read.Status == StoreStatus.Ok && TestStates.CounterOf(read.State!) == counter)
                found++;
        }
        return found;
    }

    /// <summary>Three rounds over every user, a checkpoint after each, then a fourth round left in the WAL only; the
    /// WAL is truncated up to the older kept checkpoint, so it no longer reaches back to its start.</summary>
    private async Task WriteHistoryAsync()
    {
        var engine = await OpenAsync();
        for (int round = 1; round <= 3; round++)
        {
            await PutAllAsync(engine, round);
            Assert.True(await engine.CheckpointAsync());
        }
        await PutAllAsync(engine, 4);
        await engine.AbandonAsync();
    }

    [Fact]
    public async Task Open_StoreLogRandomBytesAtEndOfData_FallsBackToTheOlderCheckpointWithoutLoss()
    {
        await WriteHistoryAsync();
        // Without checks FASTER reads these bytes as records at recovery (AccessViolationException, exit 134).
        FileDamage.RandomBytes(Hlog, new FileInfo(Hlog).Length - 4096, 4096);

        var logs = new CapturingLoggerFactory();
        await using var engine = await OpenAsync(logs);
        Assert.True(logs.Contains("fail their checksum"), string.Join('\n', logs.Lines));
        Assert.Equal(Users, await CountAtAsync(engine, 4));
        Assert.True(engine.GetStats().RecoveryProblems >= 1);
        Assert.Equal(0, engine.GetStats().RecoveryKeysAffected);
    }

    [Fact]
    public async Task Open_StoreLogRandomBytesInTheMiddle_RefusesWithReasonThenRepairRebuildsFromTheWal()
    {
        await WriteHistoryAsync();
        FileDamage.RandomBytes(Hlog, 20_000, 4096);

        var logs = new CapturingLoggerFactory();
        var refused = await Assert.ThrowsAsync<StateStoreDamagedException>(() => OpenAsync(logs));
        Assert.Contains("none of the 2 checkpoints", refused.Reason);
        Assert.Contains("repair --data " + _dir.Path, refused.RepairCommand);
        Assert.True(logs.Contains("refuses to open"), string.Join('\n', logs.Lines));
        Assert.True(logs.Contains("fail their checksum"), string.Join('\n', logs.Lines));
        // Refusing is stable: a second start refuses the same way instead of serving an emptied store.
        await Assert.ThrowsAsync<StateStoreDamagedException>(() => OpenAsync());

        var (replayed, movedTo) = await StateStoreEngine.RepairAsync(TestStates.SmallOptions(_dir.Path));
        Assert.True(replayed >= Users, $"{replayed} replayed");
        Assert.True(File.Exists(Path.Combine(movedTo, "hlog", "hlog.log.0")));
        await using var repaired = await OpenAsync();
        // The WAL reaches back to the second round's checkpoint: every user's last write (round 4) is in it.
        Assert.Equal(Users, await CountAtAsync(repaired, 4));
    }

    [Fact]
    public async Task Open_StoreLogDamagedWhileTheWalReachesItsStart_RebuildsFromTheWalWithoutLoss()
    {
        // Two checkpoints that both cover the damaged bytes; the WAL (under one page) was never truncated.
        var engine = await OpenAsync();
        await PutAllAsync(engine, 1, users: 100);
        Assert.True(await engine.CheckpointAsync());
        await PutAllAsync(engine, 2, users: 100);
        Assert.True(await engine.CheckpointAsync());
        await engine.AbandonAsync();
        FileDamage.RandomBytes(Hlog, 5_000, 4096);

        var logs = new CapturingLoggerFactory();
        await using var reopened = await OpenAsync(logs);
        Assert.True(logs.Contains("rebuilt from it alone"), string.Join('\n', logs.Lines));
        Assert.Equal(100, await CountAtAsync(reopened, 2, users: 100));
    }

    [Fact]
    public async Task Open_NewestIndexCheckpointCutShort_FallsBackWithoutLoss()
    {
        var engine = await OpenAsync();
        await PutAllAsync(engine, 1);
        Assert.True(await engine.CheckpointAsync());
        await PutAllAsync(engine, 2);
        Assert.True(await engine.CheckpointAsync());
        var newest = engine.RetainedCheckpoints[^1].Token;
        await engine.AbandonAsync();
        FileDamage.TruncateTail(Path.Combine(_dir.Path, "checkpoints", "index-checkpoints", newest.ToString(), "ht.dat.0"), 4096);

        var logs = new CapturingLoggerFactory();
        await using var reopened = await OpenAsync(logs);
        Assert.True(logs.Contains($"Checkpoint {newest} is unusable"), string.Join('\n', logs.Lines));
        Assert.Equal(Users, await CountAtAsync(reopened, 2));
    }

    [Fact]
    public async Task Open_WalCommitFilesEmptied_RecoversEveryWriteAndTheNextKillLosesNothing()
    {
        var engine = await OpenAsync();
        await PutAllAsync(engine, 1);
        Assert.True(await engine.CheckpointAsync());
        await PutAllAsync(engine, 2);
        await engine.AbandonAsync();
        foreach (var commit in Directory.EnumerateFiles(Path.Combine(_dir.Path, "wal"), "commit.*", SearchOption.AllDirectories))
            FileDamage.Empty(commit);

        var logs = new CapturingLoggerFactory();
        var reopened = await OpenAsync(logs);
        Assert.True(logs.Contains("commit records are damaged or missing") || logs.Contains("cannot be opened"), string.Join('\n', logs.Lines));
        Assert.Equal(Users, await CountAtAsync(reopened, 2));
        Assert.True(reopened.GetStats().WalBytes >= 0);
        Assert.True(reopened.GetStats().RecoveryProblems >= 1);

        // Writes are acknowledged (no hang) and survive a kill.
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            var put = await reopened.PutAsync(TestStates.Make(1000, 3), deadline.Token);
            Assert.Equal(StoreStatus.Ok, put.Status);
        }
        await PutAllAsync(reopened, 3);
        await reopened.AbandonAsync();
        await using var again = await OpenAsync();
        Assert.Equal(Users, await CountAtAsync(again, 3));
        Assert.Equal(StoreStatus.Ok, (await again.GetAsync(new StateKey(TestStates.Model, 1000))).Status);
    }

    [Fact]
    public async Task Open_WalDamagedInTheMiddle_AppliesEveryIntactEntryAfterItAndCountsTheLoss()
    {
        var engine = await OpenAsync();
        await PutAllAsync(engine, 1);
        await engine.AbandonAsync();
        long damagedAt = FileDamage.RandomBytes(Wal, 40_000, 4096);

        var logs = new CapturingLoggerFactory();
        await using var reopened = await OpenAsync(logs);
        Assert.True(logs.Contains("Write-ahead log damaged at address"), string.Join('\n', logs.Lines));
        long affected = reopened.GetStats().RecoveryKeysAffected;
        int intact = await CountAtAsync(reopened, 1);
        int lost = Users - intact;
        // Only the entries in the 4 KB are lost (about 15 of ~270 bytes), not everything after them.
        Assert.InRange(lost, 1, 20);
        Assert.InRange(affected, lost - 2, lost + 2);
        var last = await reopened.GetAsync(new StateKey(TestStates.Model, Users - 1));
        Assert.True(damagedAt < 100_000 && last.Status == StoreStatus.Ok, $"{last.Status}");
    }
}

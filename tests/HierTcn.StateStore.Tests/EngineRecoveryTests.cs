using HierTcn.StateStore.Internal;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

public sealed class EngineRecoveryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<StateStoreEngine> OpenAsync(CapturingLoggerFactory? logs = null)
        => StateStoreEngine.OpenAsync(TestStates.SmallOptions(_dir.Path), logs);

    private static async Task PutRangeAsync(StateStoreEngine engine, int from, int count, long counter)
    {
        var results = await Task.WhenAll(Enumerable.Range(from, count).Select(u => engine.PutAsync(TestStates.Make(u, counter)).AsTask()));
        Assert.All(results, r => Assert.Equal(StoreStatus.Ok, r.Status));
    }

    private static async Task AssertRangeAsync(StateStoreEngine engine, int from, int count, long counter)
    {
        for (int u = from; u < from + count; u++)
        {
            var result = await engine.GetAsync(new StateKey(TestStates.Model, u));
            Assert.True(result.Status == StoreStatus.Ok, $"user {u}: {result.Status}");
            Assert.Equal(counter, TestStates.CounterOf(result.State!));
        }
    }

    [Fact]
    public async Task Open_AfterCleanDispose_RestoresEveryState()
    {
        await using (var engine = await OpenAsync())
            await PutRangeAsync(engine, 0, 300, 1);
        await using var reopened = await OpenAsync();
        await AssertRangeAsync(reopened, 0, 300, 1);
    }

    [Fact]
    public async Task Open_AfterAbandonWithoutCheckpoint_ReplaysWal()
    {
        var engine = await OpenAsync();
        await PutRangeAsync(engine, 0, 200, 1);
        Assert.True(await engine.CheckpointAsync());
        await PutRangeAsync(engine, 100, 200, 2);
        await engine.DeleteAsync(new StateKey(TestStates.Model, 0));
        await engine.AbandonAsync();

        var logs = new CapturingLoggerFactory();
        await using var reopened = await OpenAsync(logs);
        Assert.Equal(StoreStatus.NotFound, (await reopened.GetAsync(new StateKey(TestStates.Model, 0))).Status);
        await AssertRangeAsync(reopened, 1, 99, 1);
        await AssertRangeAsync(reopened, 100, 200, 2);
        Assert.True(reopened.GetStats().ReplayedRecords >= 201);
    }

    [Fact]
    public async Task Put_NewKeyAfterRestart_VersionAboveEveryEarlierOne()
    {
        ulong highest = 0;
        await using (var engine = await OpenAsync())
        {
            for (int i = 0; i < 5; i++)
                highest = (await engine.PutAsync(TestStates.Make(1, i))).Version;
            await engine.DeleteAsync(new StateKey(TestStates.Model, 1));
        }
        // Clean stop: the counter comes from the checkpoint.
        var second = await OpenAsync();
        var afterCheckpoint = await second.PutAsync(TestStates.Make(1, 7));
        Assert.True(afterCheckpoint.Version > highest, $"version {afterCheckpoint.Version}, highest before {highest}");
        for (int i = 0; i < 5; i++)
            highest = (await second.PutAsync(TestStates.Make(2, i))).Version;
        await second.AbandonAsync();
        // Killed: the counter comes from the WAL entries replayed.
        await using var third = await OpenAsync();
        var afterReplay = await third.PutAsync(TestStates.Make(3, 1));
        Assert.True(afterReplay.Version > highest, $"version {afterReplay.Version}, highest before {highest}");
    }

    [Fact]
    public async Task Open_IndexCheckpointLeftByKillDuringCheckpoint_FolderRemoved()
    {
        await using (var engine = await OpenAsync())
            await PutRangeAsync(engine, 0, 10, 1);
        // What a kill between the index checkpoint and the log checkpoint leaves: an index folder FASTER never lists.
        var leftover = Path.Combine(_dir.Path, "checkpoints", "index-checkpoints", Guid.NewGuid().ToString());
        Directory.CreateDirectory(leftover);
        File.WriteAllBytes(Path.Combine(leftover, "ht.dat.0"), new byte[65536]);

        var logs = new CapturingLoggerFactory();
        await using var reopened = await OpenAsync(logs);
        Assert.False(Directory.Exists(leftover));
        Assert.True(logs.Contains("Removed the leftover checkpoint folder"), string.Join('\n', logs.Lines));
        await AssertRangeAsync(reopened, 0, 10, 1);
    }

    [Fact]
    public async Task Open_NewestCheckpointCorrupted_FallsBackToOlderWithoutLoss()
    {
        var engine = await OpenAsync();
        await PutRangeAsync(engine, 0, 100, 1);
        Assert.True(await engine.CheckpointAsync());
        await PutRangeAsync(engine, 100, 100, 2);
        Assert.True(await engine.CheckpointAsync());
        await PutRangeAsync(engine, 200, 100, 3);
        var newest = engine.RetainedCheckpoints[^1].Token;
        await engine.AbandonAsync();

        var info = Path.Combine(_dir.Path, "checkpoints", "cpr-checkpoints", newest.ToString(), "info.dat.0");
        Assert.True(File.Exists(info), info);
        var garbage = new byte[new FileInfo(info).Length];
        new Random(1).NextBytes(garbage);
        File.WriteAllBytes(info, garbage);

        var logs = new CapturingLoggerFactory();
        await using var reopened = await OpenAsync(logs);
        Assert.True(logs.Contains($"Checkpoint {newest} is unusable"), string.Join('\n', logs.Lines));
        await AssertRangeAsync(reopened, 0, 100, 1);
        await AssertRangeAsync(reopened, 100, 100, 2);
        await AssertRangeAsync(reopened, 200, 100, 3);
    }

    [Fact]
    public async Task Open_WalTailDamaged_RecoversPrefixLogsAndKeepsWorking()
    {
        var engine = await OpenAsync();
        await PutRangeAsync(engine, 0, 50, 1);
        for (int u = 50; u < 60; u++)
            Assert.Equal(StoreStatus.Ok, (await engine.PutAsync(TestStates.Make(u, 1))).Status);
        long tail = engine.WalTailAddress;
        await engine.AbandonAsync();

        // Damage the last entry's payload (user 59) on disk.
        var wal = Path.Combine(_dir.Path, "wal", "00000000.wal");
        using (var file = new FileStream(wal, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = tail - 40;
            file.Write(new byte[16].Select(_ => (byte)0xAB).ToArray());
        }

        var logs = new CapturingLoggerFactory();
        var reopened = await OpenAsync(logs);
        Assert.True(logs.Contains("are unreadable"), string.Join('\n', logs.Lines));
        Assert.True(logs.Contains("the last 1 acknowledged entries are missing"), string.Join('\n', logs.Lines));
        Assert.Equal(1, reopened.GetStats().WalEntriesLost);
        await AssertRangeAsync(reopened, 0, 59, 1);
        Assert.Equal(StoreStatus.NotFound, (await reopened.GetAsync(new StateKey(TestStates.Model, 59))).Status);

        // The damaged region must not swallow later writes at the next recovery.
        await PutRangeAsync(reopened, 500, 20, 7);
        await reopened.AbandonAsync();
        await using var again = await OpenAsync();
        await AssertRangeAsync(again, 0, 59, 1);
        await AssertRangeAsync(again, 500, 20, 7);
    }

    [Fact]
    public async Task Open_NoUsableCheckpoint_RecoversFromWalAndSaysSo()
    {
        var engine = await OpenAsync();
        await PutRangeAsync(engine, 0, 30, 1);
        await engine.AbandonAsync();
        foreach (var info in Directory.EnumerateFiles(Path.Combine(_dir.Path, "checkpoints", "cpr-checkpoints"), "info.dat.0", SearchOption.AllDirectories))
            File.WriteAllBytes(info, [1, 2, 3]);

        var logs = new CapturingLoggerFactory();
        await using var reopened = await OpenAsync(logs);
        Assert.True(logs.Contains("No usable checkpoint"), string.Join('\n', logs.Lines));
        await AssertRangeAsync(reopened, 0, 30, 1);
    }

    [Fact]
    public async Task Open_WalCommitFileDamaged_ReplaysEveryEntryAndSaysSo()
    {
        var engine = await OpenAsync();
        await PutRangeAsync(engine, 0, 40, 1);
        Assert.True(await engine.CheckpointAsync());
        await PutRangeAsync(engine, 40, 10, 2);
        await engine.AbandonAsync();
        File.WriteAllBytes(Path.Combine(_dir.Path, "wal", "tail"), new byte[64].Select(_ => (byte)0x5A).ToArray());

        var logs = new CapturingLoggerFactory();
        await using (var reopened = await OpenAsync(logs))
        {
            Assert.True(logs.Contains("commit file is unreadable"), string.Join("\n", logs.Lines));
            await AssertRangeAsync(reopened, 0, 40, 1);
            await AssertRangeAsync(reopened, 40, 10, 2);
            await PutRangeAsync(reopened, 100, 10, 3);
        }
        await using var again = await OpenAsync();
        await AssertRangeAsync(again, 0, 40, 1);
        await AssertRangeAsync(again, 40, 10, 2);
        await AssertRangeAsync(again, 100, 10, 3);
    }

    [Fact]
    public async Task Get_StoredStateDamagedOnDisk_ColdStartCountedAndCompareAndSwapFromZeroRepairs()
    {
        var engine = await OpenAsync();
        await PutRangeAsync(engine, 0, 20, 1);
        await engine.PutAsync(TestStates.Make(777, 424242));
        Assert.True(await engine.CheckpointAsync());
        await engine.AbandonAsync();

        // Flip one byte inside user 777's hidden state in the store log file.
        var pattern = BitConverter.GetBytes(424242 + 777 * 0.001f);
        var hlog = Path.Combine(_dir.Path, "hlog", "hlog.log.0");
        var bytes = File.ReadAllBytes(hlog);
        int at = bytes.AsSpan().IndexOf(pattern.Concat(pattern).ToArray());
        Assert.True(at > 0, "the state was not found in the store log");
        using (var file = new FileStream(hlog, FileMode.Open, FileAccess.Write))
        {
            file.Position = at + 1;
            file.WriteByte((byte)(bytes[at + 1] ^ 0x40));
        }

        var logs = new CapturingLoggerFactory();
        await using var reopened = await OpenAsync(logs);
        var damaged = await reopened.GetAsync(new StateKey(TestStates.Model, 777));
        Assert.Equal(StoreStatus.NotFound, damaged.Status);
        Assert.Contains("checksum", damaged.Error);
        Assert.Contains("cold start", damaged.Error);
        Assert.True(logs.Contains("is damaged"));
        Assert.Equal(1, reopened.GetStats().DamagedRecords);
        await AssertRangeAsync(reopened, 0, 20, 1);
        // The caller's cold-start path: compare-and-swap from "absent" succeeds, with a version never issued before.
        var repaired = await reopened.CompareAndSwapAsync(TestStates.Make(777, 5), 0);
        Assert.Equal(StoreStatus.Ok, repaired.Status);
        Assert.True(repaired.Version > 21, $"version {repaired.Version} may repeat an earlier one");
        Assert.Equal(5, TestStates.CounterOf((await reopened.GetAsync(new StateKey(TestStates.Model, 777))).State!));
    }

    [Fact]
    public async Task Put_WalDeviceFails_RefusesWritesKeepsReads()
    {
        var logs = new CapturingLoggerFactory();
        await using var engine = await StateStoreEngine.OpenAsync(TestStates.SmallOptions(_dir.Path), logs);
        await PutRangeAsync(engine, 0, 10, 1);

        engine.FailWalWrites();
        var refused = await engine.PutAsync(TestStates.Make(3, 2));
        Assert.Equal(StoreStatus.WritesRefused, refused.Status);
        Assert.False(string.IsNullOrEmpty(refused.Error));
        Assert.True(logs.Contains("Writes refused from now on"), string.Join('\n', logs.Lines));

        // The refused write is undone: readers see the last durable state.
        await AssertRangeAsync(engine, 0, 10, 1);
        Assert.Equal(StoreStatus.WritesRefused, (await engine.PutAsync(TestStates.Make(99, 1))).Status);
        Assert.NotNull(engine.GetStats().WriteFault);
    }

    [Fact]
    public async Task Put_DiskQuotaReached_RefusesWritesKeepsReads()
    {
        var options = TestStates.SmallOptions(_dir.Path);
        options.MaxDiskBytes = 3 << 20;
        var logs = new CapturingLoggerFactory();
        await using var engine = await StateStoreEngine.OpenAsync(options, logs);
        int user = 0;
        WriteResult last = default;
        for (int round = 0; round < 200 && last.Status != StoreStatus.WritesRefused; round++)
        {
            for (int i = 0; i < 20; i++, user++)
            {
                last = await engine.PutAsync(TestStates.Make(user, 1, hiddenSize: 2048));
                if (last.Status != StoreStatus.Ok)
                    break;
            }
            engine.RefreshDiskUsage();
        }
        Assert.Equal(StoreStatus.WritesRefused, last.Status);
        Assert.Contains("disk quota", last.Error);
        Assert.True(logs.Contains("Disk quota reached"));
        var read = await engine.GetAsync(new StateKey(TestStates.Model, 0));
        Assert.Equal(StoreStatus.Ok, read.Status);
        Assert.Equal(1, TestStates.CounterOf(read.State!));
    }

    [Fact]
    public async Task OpenAsync_InvalidOptions_ListsEveryProblem()
    {
        var options = new StateStoreOptions { IndexBuckets = 1000, StorePageSizeBits = 40 };
        var error = await Assert.ThrowsAsync<ArgumentException>(() => StateStoreEngine.OpenAsync(options));
        Assert.Contains("DataDirectory is required", error.Message);
        Assert.Contains("IndexBuckets is 1000", error.Message);
        Assert.Contains("StorePageSizeBits is 40", error.Message);
    }
}

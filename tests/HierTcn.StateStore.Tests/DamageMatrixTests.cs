using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

/// <summary>A history every cell starts from (copied): rounds 1-3 over every user, each followed by a checkpoint
/// (the two newest are kept and the WAL is truncated up to the older), then round 4 in the WAL only, then the
/// process "killed" (no final checkpoint).</summary>
public sealed class DamageHistory : IAsyncLifetime
{
    public const int Users = 200;
    private readonly TempDirectory _dir = new();

    public string Pristine => _dir.Path;

    public Guid NewestCheckpoint { get; private set; }

    public async Task InitializeAsync()
    {
        var engine = await StateStoreEngine.OpenAsync(TestStates.SmallOptions(_dir.Path));
        for (int round = 1; round <= 4; round++)
        {
            var results = await Task.WhenAll(Enumerable.Range(0, Users).Select(u => engine.PutAsync(TestStates.Make(u, round)).AsTask()));
            Assert.All(results, r => Assert.Equal(StoreStatus.Ok, r.Status));
            if (round < 4)
                Assert.True(await engine.CheckpointAsync());
        }
        NewestCheckpoint = engine.RetainedCheckpoints[^1].Token;
        await engine.AbandonAsync();
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Issue 13's damage matrix: each file kind the store writes x {tail cut by 4 KB, 4 KB of random bytes at the end,
/// 4 KB of random bytes in the middle, emptied}, then a kill after more writes. Each cell asserts its documented
/// outcome (state-store/README.md, "Damaged files"):
/// <list type="bullet">
/// <item>checkpoint files and WAL commit files: every acknowledged write recovered;</item>
/// <item>store log: every write recovered from the older checkpoint plus the WAL, or, when the damage lies in what
/// both kept checkpoints need, the store refuses to open with the repair command, and the repair recovers every
/// write still in the WAL;</item>
/// <item>WAL: only the writes in the damaged bytes are lost (those users keep their previous state), the loss is
/// logged and counted, every other acknowledged write is recovered.</item>
/// </list>
/// Never a crash. After recovery, writes are acknowledged and survive the next kill.
/// </summary>
public sealed class DamageMatrixTests(DamageHistory history) : IClassFixture<DamageHistory>, IDisposable
{
    public enum FileKind { Wal, WalCommit, StoreLog, IndexCheckpoint, LogCheckpoint }

    public enum Damage { TruncatedTail, RandomAtEnd, RandomInMiddle, Emptied }

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<FileKind, Damage> Cells()
    {
        var cells = new TheoryData<FileKind, Damage>();
        foreach (var kind in Enum.GetValues<FileKind>())
        {
            foreach (var damage in Enum.GetValues<Damage>())
                cells.Add(kind, damage);
        }
        return cells;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Open_DamagedFile_DocumentedOutcomeAndNoOtherLoss(FileKind kind, Damage damage)
    {
        CopyDirectory(history.Pristine, _dir.Path);
        var path = FileOf(kind);
        Apply(path, damage);
        var options = TestStates.SmallOptions(_dir.Path);
        var logs = new CapturingLoggerFactory();
        string context = $"{kind} x {damage} ({path})";

        StateStoreEngine engine;
        if (kind == FileKind.StoreLog && damage is Damage.RandomInMiddle or Damage.Emptied)
        {
            var refused = await Assert.ThrowsAsync<StateStoreDamagedException>(() => StateStoreEngine.OpenAsync(options, logs));
            Assert.Contains("repair --data", refused.RepairCommand);
            Assert.True(logs.Contains("refuses to open"), context);
            await StateStoreEngine.RepairAsync(options);
            engine = await StateStoreEngine.OpenAsync(options);
            Assert.Equal(DamageHistory.Users, await CountAtAsync(engine, 4));
        }
        else
        {
            engine = await StateStoreEngine.OpenAsync(options, logs);
            int atLatest = await CountAtAsync(engine, 4);
            int lost = DamageHistory.Users - atLatest;
            if (kind == FileKind.Wal)
            {
                // Only writes inside the damaged bytes are lost; they roll back to round 3 (the newest checkpoint), never to nothing.
                Assert.True(DamageHistory.Users == atLatest + await CountAtAsync(engine, 3), $"{context}: {atLatest} at round 4\n{Relevant(logs)}");
                Assert.True(damage == Damage.Emptied ? lost <= DamageHistory.Users : lost <= 17, $"{context}: {lost} lost");
                if (lost > 0)
                {
                    Assert.True(engine.GetStats().RecoveryProblems >= 1, context);
                    Assert.True(logs.Lines.Any(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Warning", StringComparison.Ordinal)), context);
                }
                if (damage != Damage.Emptied)
                    Assert.True(engine.GetStats().RecoveryKeysAffected >= lost - 2, $"{context}: {engine.GetStats().RecoveryKeysAffected} reported, {lost} lost");
            }
            else
            {
                Assert.True(lost == 0, $"{context}: {lost} acknowledged writes lost\n{Relevant(logs)}");
                Assert.True(engine.GetStats().RecoveryProblems >= 1 || kind == FileKind.StoreLog, $"{context}: damage not reported");
            }
        }

        // Then more writes and a kill: every one of them survives.
        var before = await SnapshotAsync(engine);
        var writes = await Task.WhenAll(Enumerable.Range(0, 50).Select(u => engine.PutAsync(TestStates.Make(u, 5)).AsTask()));
        Assert.All(writes, w => Assert.Equal(StoreStatus.Ok, w.Status));
        await engine.AbandonAsync();
        await using var again = await StateStoreEngine.OpenAsync(options);
        var after = await SnapshotAsync(again);
        for (int u = 0; u < DamageHistory.Users; u++)
            Assert.True(after[u] == (u < 50 ? 5 : before[u]), $"{context}: user {u} is at {after[u]} after the kill, expected {(u < 50 ? 5 : before[u])}");
    }

    private static string Relevant(CapturingLoggerFactory logs)
        => string.Join('\n', logs.Lines.Where(l => !l.StartsWith("Trace", StringComparison.Ordinal) && !l.Contains(" [0] ", StringComparison.Ordinal)));

    private string FileOf(FileKind kind) => kind switch
    {
        FileKind.Wal => Path.Combine(_dir.Path, "wal", "wal.log.0"),
        FileKind.WalCommit => Directory.EnumerateFiles(Path.Combine(_dir.Path, "wal"), "commit.*", SearchOption.AllDirectories).Single(),
        FileKind.StoreLog => Path.Combine(_dir.Path, "hlog", "hlog.log.0"),
        FileKind.IndexCheckpoint => Path.Combine(_dir.Path, "checkpoints", "index-checkpoints", history.NewestCheckpoint.ToString(), "ht.dat.0"),
        _ => Path.Combine(_dir.Path, "checkpoints", "cpr-checkpoints", history.NewestCheckpoint.ToString(), "info.dat.0"),
    };

    private static void Apply(string path, Damage damage)
    {
        long length = new FileInfo(path).Length;
        switch (damage)
        {
            case Damage.TruncatedTail:
                FileDamage.TruncateTail(path, 4096);
                break;
            case Damage.RandomAtEnd:
                FileDamage.RandomBytes(path, length - 4096, 4096);
                break;
            case Damage.RandomInMiddle:
                FileDamage.RandomBytes(path, length / 2 - 2048, 4096);
                break;
            default:
                FileDamage.Empty(path);
                break;
        }
    }

    private static async Task<int> CountAtAsync(StateStoreEngine engine, long counter)
        => (await SnapshotAsync(engine)).Count(c => c == counter);

    /// <summary>Each user's counter; -1 when absent.</summary>
    private static async Task<long[]> SnapshotAsync(StateStoreEngine engine)
    {
        var counters = new long[DamageHistory.Users];
        for (int u = 0; u < counters.Length; u++)
        {
            var read = await engine.GetAsync(new StateKey(TestStates.Model, u));
            counters[u] = read.Status == StoreStatus.Ok ? TestStates.CounterOf(read.State!) : -1;
        }
        return counters;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}

using HierTcn.StateStore.Server;
using HierTcn.StateStore.Tests.Support;
using Xunit.Abstractions;

namespace HierTcn.StateStore.Tests;

/// <summary>
/// Each file kind x each damage, done while the store is closed (after an unclean stop), then reopened the way the
/// shard opens it (with the recovery probe in a child process): the documented outcome holds, no acknowledged write
/// outside the damaged range is lost, and writes acknowledged after the damage survive the next unclean stop.
/// The kill -9 part for a subset of cells is <see cref="DamageThenKillTests"/>.
/// </summary>
public sealed class DamageMatrixTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The table of state-store/README.md, "Damaged files".</summary>
    public static TheoryData<DamagedFile, Damage, DamageOutcome> Cells()
    {
        var cells = new TheoryData<DamagedFile, Damage, DamageOutcome>();
        foreach (var damage in Enum.GetValues<Damage>())
        {
            cells.Add(DamagedFile.Wal, damage, DamageOutcome.LossCounted);
            cells.Add(DamagedFile.WalCommitFile, damage, DamageOutcome.NoLoss);
            cells.Add(DamagedFile.StoreLog, damage, DamageOutcome.NoLoss);
            cells.Add(DamagedFile.IndexCheckpoint, damage, DamageOutcome.NoLoss);
            cells.Add(DamagedFile.LogCheckpoint, damage, DamageOutcome.NoLoss);
        }
        return cells;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Open_FileDamagedWhileDown_DocumentedOutcomeAndLaterWritesSurvive(DamagedFile file, Damage damage, DamageOutcome expected)
    {
        var options = TestStates.SmallOptions(_dir.Path);
        var probe = new RecoveryProbe(options);
        var acknowledged = new Dictionary<long, List<long>>();
        var engine = await StateStoreEngine.OpenAsync(options, null, null, probe.ProbeAsync);
        await PutAsync(engine, acknowledged, 0, 150, 1);
        Assert.True(await engine.CheckpointAsync());
        await PutAsync(engine, acknowledged, 150, 150, 2);
        Assert.True(await engine.CheckpointAsync());
        long walFrom = engine.RetainedCheckpoints[^1].WalAddress;
        var newest = engine.RetainedCheckpoints[^1].Token;
        await PutAsync(engine, acknowledged, 0, 100, 3);
        long walTail = engine.WalTailAddress;
        await engine.AbandonAsync();

        Apply(file, damage, newest, walFrom, walTail);

        var logs = new CapturingLoggerFactory();
        var reopened = await StateStoreEngine.OpenAsync(options, logs, null, probe.ProbeAsync);
        var stats = reopened.GetStats();
        int behind = 0;
        foreach (var (user, counters) in acknowledged)
        {
            var read = await reopened.GetAsync(new StateKey(TestStates.Model, user));
            long? holds = read.Status == StoreStatus.Ok ? TestStates.CounterOf(read.State!) : null;
            Assert.True(read.Status is StoreStatus.Ok or StoreStatus.NotFound, $"user {user}: {read.Status} {read.Error}");
            if (holds == counters[^1])
                continue;
            // Anything else is an older acknowledged state (or none): a loss, which must be counted below.
            Assert.True(holds is null || counters.Contains(holds.Value), $"user {user} holds counter {holds}, never acknowledged");
            behind++;
        }
        stats = reopened.GetStats();
        string log = string.Join('\n', logs.Lines);
        output.WriteLine($"{file} {damage}: {behind} users behind; WAL entries lost {stats.WalEntriesLost}, damaged records {stats.DamagedRecords}\n{log}");
        if (expected == DamageOutcome.NoLoss)
        {
            Assert.True(behind == 0, $"{behind} users lost acknowledged writes\n{log}");
        }
        else
        {
            Assert.True(behind > 0, "the damage destroyed nothing: the cell tests nothing");
            Assert.True(behind <= stats.WalEntriesLost + stats.DamagedRecords, $"{behind} users behind, only {stats.WalEntriesLost + stats.DamagedRecords} losses counted\n{log}");
            Assert.True(logs.Contains("write-ahead log entries to damage") || logs.Contains("is damaged"), log);
        }

        // Whatever the damage was, what is acknowledged from now on survives an unclean stop.
        var after = new Dictionary<long, List<long>>();
        await PutAsync(reopened, after, 400, 50, 5);
        await PutAsync(reopened, after, 0, 20, 6);
        var survivors = new Dictionary<long, long?>();
        foreach (var user in acknowledged.Keys)
        {
            var read = await reopened.GetAsync(new StateKey(TestStates.Model, user));
            survivors[user] = read.Status == StoreStatus.Ok ? TestStates.CounterOf(read.State!) : null;
        }
        await reopened.AbandonAsync();
        await using var again = await StateStoreEngine.OpenAsync(options, null, null, probe.ProbeAsync);
        foreach (var (user, counters) in after)
            Assert.Equal(counters[^1], TestStates.CounterOf((await again.GetAsync(new StateKey(TestStates.Model, user))).State!));
        foreach (var (user, counter) in survivors)
        {
            if (user >= 20)
            {
                var read = await again.GetAsync(new StateKey(TestStates.Model, user));
                Assert.Equal(counter, read.Status == StoreStatus.Ok ? TestStates.CounterOf(read.State!) : null);
            }
        }
    }

    private static async Task PutAsync(StateStoreEngine engine, Dictionary<long, List<long>> acknowledged, int from, int count, long counter)
    {
        for (int u = from; u < from + count; u++)
        {
            Assert.Equal(StoreStatus.Ok, (await engine.PutAsync(TestStates.Make(u, counter))).Status);
            if (!acknowledged.TryGetValue(u, out var counters))
                acknowledged[u] = counters = [];
            counters.Add(counter);
        }
    }

    private void Apply(DamagedFile file, Damage damage, Guid newest, long walFrom, long walTail)
    {
        string path = file switch
        {
            DamagedFile.Wal => Path.Combine(_dir.Path, "wal", "00000000.wal"),
            DamagedFile.WalCommitFile => Path.Combine(_dir.Path, "wal", "tail"),
            DamagedFile.StoreLog => Path.Combine(_dir.Path, "hlog", "hlog.log.0"),
            DamagedFile.IndexCheckpoint => Path.Combine(_dir.Path, "checkpoints", "index-checkpoints", newest.ToString(), "ht.dat.0"),
            _ => Path.Combine(_dir.Path, "checkpoints", "cpr-checkpoints", newest.ToString(), "info.dat.0"),
        };
        Assert.True(File.Exists(path), path);
        long length = new FileInfo(path).Length;
        int size = file == DamagedFile.WalCommitFile ? 8 : 4096;
        long middle = file == DamagedFile.Wal ? (walFrom + walTail) / 2 : length / 2;
        switch (damage)
        {
            case Damage.TruncatedTail:
                FileDamage.TruncateTail(path, size);
                break;
            case Damage.RandomAtEnd:
                FileDamage.RandomBytes(path, length - size, size);
                break;
            case Damage.RandomInMiddle:
                FileDamage.RandomBytes(path, middle - size / 2, size);
                break;
            default:
                FileDamage.Empty(path);
                break;
        }
    }
}

using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;
using Xunit.Abstractions;

namespace HierTcn.StateStore.Tests;

/// <summary>
/// The kill -9 column of the damage matrix, for one cell of each recovery path (WAL damage replayed past, commit file
/// lost, store log crashing FASTER in the probe, a cut index checkpoint): the shard process is killed with SIGKILL, a
/// file damaged while it is down, the shard restarted, written to at full speed and killed again at a random moment;
/// after the next restart every write acknowledged after the damage is there.
/// </summary>
public sealed class DamageThenKillTests(ITestOutputHelper output) : IDisposable
{
    private const int Writers = 8;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class UserModel
    {
        public long Counter;
        public long? Pending;
    }

    [Theory]
    [InlineData(DamagedFile.Wal, Damage.RandomInMiddle)]
    [InlineData(DamagedFile.WalCommitFile, Damage.Emptied)]
    [InlineData(DamagedFile.StoreLog, Damage.RandomAtEnd)]
    [InlineData(DamagedFile.IndexCheckpoint, Damage.TruncatedTail)]
    public async Task Server_DamagedWhileDownThenKilledUnderWrites_NoAcknowledgedWriteLost(DamagedFile file, Damage damage)
    {
        int port = ServerProcess.FreePort();
        var data = _dir.Sub("shard");
        string[] settings = ["--StateStore:CheckpointInterval=00:00:00.300"];
        using (var first = ServerProcess.Start(port, data, settings))
        {
            await using var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{port}"] });
            await first.WaitReadyAsync(store);
            for (int round = 1; round <= 3; round++)
            {
                var writes = await store.PutManyAsync([.. Enumerable.Range(0, 200).Select(u => TestStates.Make(u, round))]);
                Assert.All(writes, w => Assert.Equal(StoreStatus.Ok, w.Status));
                await Task.Delay(700);
            }
            first.Kill();
        }
        DamageFile(data, file, damage);

        var users = Enumerable.Range(1000, Writers * 4).ToDictionary(u => (long)u, _ => new UserModel());
        long acknowledged = 0;
        using (var second = ServerProcess.Start(port, data, settings))
        {
            await using var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{port}"] });
            await second.WaitReadyAsync(store);
            using var kill = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteAsync(store, users, w, kill.Token))).ToArray();
            // The kill lands at a varying moment once writes are flowing: on a loaded machine a fixed delay ended with
            // only 8 writes acknowledged (a fresh-clone CI run), too few for the check to mean anything.
            var flowing = DateTime.UtcNow.AddSeconds(30);
            while (users.Values.Sum(u => u.Counter) < 4 * Writers && DateTime.UtcNow < flowing && !writers.Any(w => w.IsCompleted))
                await Task.Delay(20);
            await Task.Delay(new Random((int)file * 10 + (int)damage).Next(300, 700));
            second.Kill();
            kill.Cancel();
            acknowledged = (await Task.WhenAll(writers)).Sum();
        }

        using var third = ServerProcess.Start(port, data, settings);
        await using var after = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{port}"] });
        await third.WaitReadyAsync(after);
        var reads = await after.GetManyAsync([.. users.Keys.Select(u => new StateKey(TestStates.Model, u))]);
        var problems = new List<string>();
        foreach (var (read, (user, model)) in reads.Zip(users))
        {
            long? holds = read.Status == StoreStatus.Ok ? TestStates.CounterOf(read.State!) : null;
            if (holds != (model.Counter == 0 ? null : model.Counter) && holds != model.Pending)
                problems.Add($"user {user}: holds {holds?.ToString() ?? "nothing"} ({read.Status} {read.Error}), acknowledged {model.Counter}, in flight {model.Pending}");
        }
        output.WriteLine($"{file} {damage}: {acknowledged} writes acknowledged after the damage, {problems.Count} lost");
        Assert.True(acknowledged > Writers, $"only {acknowledged} writes were acknowledged after the damage\n{third.OutputTail}");
        Assert.True(problems.Count == 0, string.Join('\n', problems) + "\n--- server output ---\n" + third.OutputTail);
    }

    private static async Task<long> WriteAsync(RemoteStateStore store, Dictionary<long, UserModel> users, int writer, CancellationToken killed)
    {
        long acknowledged = 0;
        for (int i = 0; !killed.IsCancellationRequested; i++)
        {
            long userId = 1000 + writer * 4 + (i % 4);
            var model = users[userId];
            long counter = model.Counter + 1;
            var result = await store.PutAsync(TestStates.Make(userId, counter), CancellationToken.None);
            if (result.Status != StoreStatus.Ok)
            {
                model.Pending = counter;
                return acknowledged;
            }
            model.Counter = counter;
            acknowledged++;
        }
        return acknowledged;
    }

    private static void DamageFile(string data, DamagedFile file, Damage damage)
    {
        var newest = new DirectoryInfo(Path.Combine(data, "checkpoints", "cpr-checkpoints")).EnumerateDirectories().OrderBy(d => d.LastWriteTimeUtc).Last().Name;
        string path = file switch
        {
            DamagedFile.Wal => Path.Combine(data, "wal", "00000000.wal"),
            DamagedFile.WalCommitFile => Path.Combine(data, "wal", "tail"),
            DamagedFile.StoreLog => Path.Combine(data, "hlog", "hlog.log.0"),
            DamagedFile.IndexCheckpoint => Path.Combine(data, "checkpoints", "index-checkpoints", newest, "ht.dat.0"),
            _ => Path.Combine(data, "checkpoints", "cpr-checkpoints", newest, "info.dat.0"),
        };
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
                FileDamage.RandomBytes(path, length / 2, 4096);
                break;
            default:
                FileDamage.Empty(path);
                break;
        }
    }
}

using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;
using Xunit.Abstractions;

namespace HierTcn.StateStore.Tests;

/// <summary>
/// Writers apply compare-and-swap updates at full speed against the server process, which is killed with SIGKILL
/// at a random moment and restarted, 20 times. After each restart every user must hold exactly its last
/// acknowledged state, or (only when a write to it was in flight at the kill) that in-flight write, whole.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Writers = 16;
    private const int UsersPerWriter = 6;
    private const int Restarts = 20;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class UserModel
    {
        public ulong Version;
        public long Counter;
        public long? Pending;
    }

    [Fact]
    public async Task Server_KilledAtRandomMomentsTwentyTimes_NoAcknowledgedWriteLost()
    {
        var random = new Random(20261127);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int port = ServerProcess.FreePort();
        var data = _dir.Sub("shard");
        var users = new Dictionary<long, UserModel>();
        for (long u = 0; u < Writers * UsersPerWriter; u++)
            users[u] = new UserModel();
        var violations = new List<string>();
        long acknowledged = 0, inFlightAtKill = 0;

        for (int restart = 0; restart <= Restarts; restart++)
        {
            using var server = ServerProcess.Start(port, data, "--StateStore:CheckpointInterval=00:00:00.500");
            await using var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{port}"] });
            await server.WaitReadyAsync(store);

            var keys = users.Keys.Select(u => new StateKey(TestStates.Model, u)).ToList();
            var reads = await store.GetManyAsync(keys);
            for (int i = 0; i < keys.Count; i++)
                violations.AddRange(Verify(reads[i], keys[i].UserId, users[keys[i].UserId], restart));
            Assert.True(violations.Count == 0, string.Join('\n', violations.Take(20)) + "\n--- server output ---\n" + server.OutputTail);
            if (restart == Restarts)
                break;

            using var kill = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteAsync(store, users, w, kill.Token))).ToArray();
            await Task.Delay(random.Next(100, 600));
            server.Kill();
            kill.Cancel();
            var counts = await Task.WhenAll(writers);
            acknowledged += counts.Sum(c => c.Acknowledged);
            inFlightAtKill += counts.Sum(c => c.InFlight);
            violations.AddRange(counts.SelectMany(c => c.Violations));
        }

        output.WriteLine($"{Restarts} SIGKILLs in {clock.Elapsed.TotalSeconds:F0} s: {acknowledged} acknowledged writes, {inFlightAtKill} in flight at a kill, {violations.Count} violations");
        Assert.Empty(violations);
        // The test means something only if writes were acknowledged all along and some were cut by the kills.
        Assert.True(acknowledged > 20 * Restarts, $"only {acknowledged} writes were acknowledged");
        Assert.True(inFlightAtKill > 0, "no write was in flight at any kill");
    }

    private static async Task<(long Acknowledged, long InFlight, List<string> Violations)> WriteAsync(
        RemoteStateStore store, Dictionary<long, UserModel> users, int writer, CancellationToken killed)
    {
        long acknowledged = 0;
        var violations = new List<string>();
        for (int i = 0; !killed.IsCancellationRequested; i++)
        {
            long userId = writer * UsersPerWriter + (i % UsersPerWriter);
            var model = users[userId];
            long counter = model.Counter + 1;
            var result = await store.CompareAndSwapAsync(TestStates.Make(userId, counter), model.Version, CancellationToken.None);
            switch (result.Status)
            {
                case StoreStatus.Ok:
                    if (!IsNextVersion(model.Version, result.Version))
                        violations.Add($"user {userId}: CAS from {model.Version} acknowledged version {result.Version}");
                    model.Version = result.Version;
                    model.Counter = counter;
                    acknowledged++;
                    break;
                case StoreStatus.VersionMismatch:
                    violations.Add($"user {userId}: the store holds version {result.Version}, the last acknowledged is {model.Version}");
                    return (acknowledged, 0, violations);
                default:
                    model.Pending = counter;
                    return (acknowledged, 1, violations);
            }
        }
        return (acknowledged, 0, violations);
    }

    private static List<string> Verify(ReadResult read, long userId, UserModel model, int restart)
    {
        var problems = new List<string>();
        if (read.Status == StoreStatus.NotFound)
        {
            if (model.Version != 0)
                problems.Add($"restart {restart}: user {userId} lost: acknowledged version {model.Version} (counter {model.Counter}) is gone");
        }
        else if (read.Status != StoreStatus.Ok)
        {
            problems.Add($"restart {restart}: user {userId} unreadable: {read.Status} {read.Error}");
        }
        else
        {
            long counter;
            try
            {
                counter = TestStates.CounterOf(read.State!);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                problems.Add($"restart {restart}: user {userId} holds a mixed state: {ex.Message}");
                return problems;
            }
            bool isAcknowledged = counter == model.Counter && read.State!.Version == model.Version;
            bool isInFlight = model.Pending == counter && IsNextVersion(model.Version, read.State!.Version);
            if (!isAcknowledged && !isInFlight)
                problems.Add($"restart {restart}: user {userId} holds counter {counter} version {read.State!.Version}; acknowledged {model.Counter} version {model.Version}, in flight {model.Pending?.ToString() ?? "none"}");
            model.Version = read.State!.Version;
            model.Counter = counter;
        }
        model.Pending = null;
        return problems;
    }

    /// <summary>A write adds one to a stored version; a new key starts above every version issued (so above 0).</summary>
    private static bool IsNextVersion(ulong previous, ulong next) => previous == 0 ? next > 0 : next == previous + 1;
}

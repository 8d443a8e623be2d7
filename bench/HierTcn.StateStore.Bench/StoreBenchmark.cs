using System.Diagnostics;
using System.Globalization;
using HierTcn.Formats.State;
using HierTcn.StateStore.Client;

namespace HierTcn.StateStore.Bench;

/// <summary>
/// Loads N users with ~2 KB states into the embedded engine (in this process) and into a server child process
/// (over gRPC), then runs short timed phases that alternate between the two (Get embedded, Get gRPC, Put embedded,
/// Put gRPC, repeated), so that a burst of load from other processes hits both sides alike. Reports pooled ops/s
/// and p50/p99 per side, the per-round rates, memory, disk and recovery time after a kill. <c>--resp</c> adds RESP
/// clusters started beforehand as more sides (<c>NAME=HOST:PORT,...[@REPLICAS]</c>, several separated by ';';
/// @REPLICAS sets <see cref="RespStateStoreOptions.WaitForReplicas"/>); <c>--engines</c> starts Garnet and Redis
/// clusters itself on loopback (<see cref="RespClusters"/>: <c>all</c> or a comma-separated list of
/// <c>redis</c>, <c>redis-replicas</c>, <c>redis-wait</c>, <c>garnet</c>, <c>garnet-replicas</c>;
/// ports from <c>--resp-port</c>, 31000) one cluster at a time: each is loaded and measured beside the embedded and
/// gRPC sides, then killed and deleted before the next starts.
/// <code>dotnet HierTcn.StateStore.Bench.dll --users 1000000 --concurrency 64 --seconds 5 --rounds 4 --data /tmp/ssbench --engines all</code>
/// </summary>
public static class StoreBenchmark
{
    private const int HiddenSize = 425;

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = Settings.Parse(args);
        Directory.CreateDirectory(settings.Data);
        Console.WriteLine($"# users {settings.Users:N0}, state {UserStateSerializer.GetSize(MakeState(0, 0))} bytes, {settings.Concurrency} concurrent callers, " +
            $"{settings.Rounds} rounds of {settings.Seconds} s per phase and side, {Environment.ProcessorCount} cores");
        var embeddedOptions = EngineOptions(settings, Path.Combine(settings.Data, "embedded"));
        var serverOptions = EngineOptions(settings, Path.Combine(settings.Data, "server"));
        // The clusters --engines names, one group per cluster; bad values fail here, before anything is loaded.
        var groups = RespClusters.GroupByCluster(settings.EngineSides());

        var engine = await StateStoreEngine.OpenAsync(embeddedOptions);
        var embedded = new EmbeddedStateStore(engine);
        await LoadAsync("embedded", embedded, settings);
        var server = ServerChild.Start(settings.Port, serverOptions);
        RespClusters? clusters = null;
        // A failure anywhere below must not leave the server child or a cluster node running (holding ports and CPU).
        try
        {
            var remote = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{settings.Port}"], CallTimeout = TimeSpan.FromSeconds(60) });
            await server.WaitReadyAsync(remote);
            await LoadAsync("grpc", remote, settings);

            var results = new Dictionary<string, PhaseResult>();
            var sides = new List<(string Name, IStateStore Store)> { ("embedded", embedded), ("grpc", remote) };
            foreach (var (name, options) in settings.RespSides())
            {
                var store = await RespStateStore.ConnectAsync(options);
                await LoadAsync(name, store, settings);
                sides.Add((name, store));
            }
            if (groups.Count == 0)
            {
                await RunRoundsAsync(sides, settings, results);
            }
            // One cluster at a time (all five at once, 16 processes with AOF always at 1M users, lost a node to a
            // failure detection while the others loaded: CLUSTERDOWN): each is started, loaded and measured in rounds
            // beside the embedded and gRPC sides, then stopped and its files deleted before the next starts.
            foreach (var (group, index) in groups.Select((g, i) => (g, i)))
            {
                (clusters, var started) = RespClusters.Start(group, settings.Data, settings.RespPort + 20 * index);
                var groupSides = new List<(string Name, IStateStore Store)>(sides);
                try
                {
                    foreach (var (name, options) in started)
                    {
                        var store = await RespStateStore.ConnectAsync(options);
                        groupSides.Add((name, store));
                        await LoadAsync(name, store, settings);
                    }
                    await RunRoundsAsync(groupSides, settings, results);
                }
                finally
                {
                    foreach (var (_, store) in groupSides.Skip(sides.Count))
                        await store.DisposeAsync();
                    clusters.Dispose();
                    clusters = null;
                }
            }
            Console.WriteLine();
            foreach (var (key, result) in results)
            {
                var (count, p50, p99) = result.Latencies.Summary();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{key}: {result.Rate:N0} ops/s pooled over {settings.Rounds} rounds (per round {string.Join(", ", result.Rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}), p50 {p50 / 1000:F3} ms, p99 {p99 / 1000:F3} ms, {count:N0} ops"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratio grpc/embedded: Get {results["grpc Get"].Rate / results["embedded Get"].Rate:F3}, Put {results["grpc Put"].Rate / results["embedded Put"].Rate:F3}"));
            Console.WriteLine($"memory: embedded process working set {Environment.WorkingSet >> 20} MiB (managed heap {GC.GetTotalMemory(false) >> 20} MiB); server RSS {server.RssMiB()} MiB");
            Console.WriteLine($"disk: embedded {DiskMiB(embeddedOptions.DataDirectory)} MiB, server {DiskMiB(serverOptions.DataDirectory)} MiB");

            // The last phase was a Put on each side: both stop now with WAL written since their last checkpoint.
            await engine.AbandonAsync();
            server.Kill();
            await remote.DisposeAsync();
            foreach (var (_, store) in sides.Skip(2))
                await store.DisposeAsync();
        }
        finally
        {
            server.Dispose();
            clusters?.Dispose();
        }
        var reopenStart = Stopwatch.GetTimestamp();
        await using (var reopened = await StateStoreEngine.OpenAsync(embeddedOptions))
        {
            var stats = reopened.GetStats();
            Console.WriteLine($"embedded recovery after an abandon (as after SIGKILL): open {Stopwatch.GetElapsedTime(reopenStart).TotalSeconds:F2} s, of which checkpoint recovery + WAL replay {stats.RecoveryTime.TotalSeconds:F2} s, {stats.ReplayedRecords:N0} WAL records replayed");
        }
        var restart = Stopwatch.GetTimestamp();
        using (var again = ServerChild.Start(settings.Port, serverOptions))
        {
            await using var probe = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{settings.Port}"] });
            await again.WaitReadyAsync(probe);
            Console.WriteLine($"server restart after SIGKILL until the first answer (process start + recovery): {Stopwatch.GetElapsedTime(restart).TotalSeconds:F2} s");
        }
        return 0;
    }

    private static StateStoreOptions EngineOptions(Settings settings, string directory) => new()
    {
        DataDirectory = directory,
        IndexBuckets = (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1 << 10, settings.Users / 4)),
        StoreMemorySizeBits = settings.MemoryBits,
        CheckpointInterval = TimeSpan.FromSeconds(30),
        UserTtl = TimeSpan.Zero,
    };

    private static async Task LoadAsync(string name, IStateStore store, Settings settings)
    {
        var load = Stopwatch.StartNew();
        long next = 0;
        const int batch = 64;
        await Parallel(settings.Concurrency, async _ =>
        {
            long first;
            while ((first = Interlocked.Add(ref next, batch) - batch) < settings.Users)
            {
                var states = new List<UserState>(batch);
                for (long user = first; user < Math.Min(first + batch, settings.Users); user++)
                    states.Add(MakeState(user, 1));
                foreach (var result in await store.PutManyAsync(states))
                {
                    if (!result.IsOk)
                        throw new InvalidOperationException($"load put: {result.Status} {result.Error}");
                }
            }
        });
        Console.WriteLine($"{name} load: {settings.Users:N0} users in {load.Elapsed.TotalSeconds:F1} s ({settings.Users / load.Elapsed.TotalSeconds:N0} puts/s, batches of 64)");
    }

    /// <summary>Rounds of Get then Put phases, each side in turn, pooled into <paramref name="results"/> by side and phase.</summary>
    private static async Task RunRoundsAsync(List<(string Name, IStateStore Store)> sides, Settings settings, Dictionary<string, PhaseResult> results)
    {
        for (int round = 1; round <= settings.Rounds; round++)
        {
            foreach (var phase in new[] { "Get", "Put" })
            {
                foreach (var (name, store) in sides)
                {
                    var key = $"{name} {phase}";
                    if (!results.TryGetValue(key, out var result))
                        results[key] = result = new PhaseResult(settings.Concurrency);
                    await RunPhaseAsync(phase, store, settings, result, round);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round} {key}: {result.LastRate:N0} ops/s"));
                }
            }
        }
    }

    private static async Task RunPhaseAsync(string phase, IStateStore store, Settings settings, PhaseResult result, int round)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(settings.Seconds * Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();
        long count = 0;
        await Parallel(settings.Concurrency, async worker =>
        {
            var random = new Random(worker * 7919 + round * 31 + phase.Length);
            long mine = 0;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                long start = Stopwatch.GetTimestamp();
                long user = random.NextInt64(settings.Users);
                if (phase == "Get")
                {
                    var read = await store.GetAsync(new StateKey("bench", user));
                    if (read.Status != StoreStatus.Ok)
                        throw new InvalidOperationException($"get: {read.Status} {read.Error}");
                }
                else
                {
                    var write = await store.PutAsync(MakeState(user, round + 1));
                    if (!write.IsOk)
                        throw new InvalidOperationException($"put: {write.Status} {write.Error}");
                }
                result.Latencies.Add(worker, Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                mine++;
            }
            Interlocked.Add(ref count, mine);
        });
        result.Add(count, clock.Elapsed.TotalSeconds);
    }

    private static Task Parallel(int workers, Func<int, Task> body)
        => Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => body(w))));

    internal static UserState MakeState(long userId, long counter)
    {
        var state = new UserState("bench", userId, HiddenSize, 8)
        {
            LastEventMs = 1_700_000_000_000 + counter,
            SessionCount = 16,
            SessionItems = [.. Enumerable.Range(0, 16).Select(i => userId + i)],
            RecentEventIds = [.. Enumerable.Range(0, 16).Select(i => counter * 100 + i)],
        };
        Array.Fill(state.HiddenState, counter);
        return state;
    }

    private static long DiskMiB(string directory)
        => new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) >> 20;

    private sealed class PhaseResult(int workers)
    {
        private long _ops;
        private double _seconds;

        public LatencyRecorder Latencies { get; } = new(workers);

        public List<double> Rates { get; } = [];

        public double Rate => _ops / _seconds;

        public double LastRate => Rates[^1];

        public void Add(long ops, double seconds)
        {
            _ops += ops;
            _seconds += seconds;
            Rates.Add(ops / seconds);
        }
    }

    private sealed record Settings(long Users, int Concurrency, double Seconds, int Rounds, string Data, int Port, int MemoryBits, string Resp,
        string Engines, int RespPort)
    {
        /// <summary>The <c>--engines</c> sides: none, <c>all</c> (<see cref="RespClusters.AllSides"/>) or a comma-separated list.</summary>
        public IReadOnlyList<string> EngineSides() => Engines.Length == 0 ? []
            : Engines == "all" ? RespClusters.AllSides
            : Engines.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        /// <summary>The <c>--resp</c> sides: NAME=HOST:PORT,...[@REPLICAS], separated by ';'.</summary>
        public IEnumerable<(string Name, RespStateStoreOptions Options)> RespSides()
        {
            foreach (string side in Resp.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var (name, rest) = (side[..side.IndexOf('=')], side[(side.IndexOf('=') + 1)..]);
                int at = rest.IndexOf('@');
                int replicas = at < 0 ? 0 : int.Parse(rest[(at + 1)..], CultureInfo.InvariantCulture);
                string endpoints = at < 0 ? rest : rest[..at];
                yield return (name, new RespStateStoreOptions
                {
                    Endpoints = endpoints.Split(','),
                    CallTimeout = TimeSpan.FromSeconds(60),
                    UserTtl = TimeSpan.Zero,
                    WaitForReplicas = replicas,
                });
            }
        }

        public static Settings Parse(string[] args)
        {
            var map = new Dictionary<string, string>();
            for (int i = 0; i + 1 < args.Length; i += 2)
                map[args[i].TrimStart('-')] = args[i + 1];
            string Get(string key, string fallback) => map.TryGetValue(key, out var v) ? v : fallback;
            return new Settings(
                long.Parse(Get("users", "100000"), CultureInfo.InvariantCulture),
                int.Parse(Get("concurrency", "64"), CultureInfo.InvariantCulture),
                double.Parse(Get("seconds", "5"), CultureInfo.InvariantCulture),
                int.Parse(Get("rounds", "4"), CultureInfo.InvariantCulture),
                Get("data", Path.Combine(Path.GetTempPath(), "hiertcn-ssbench")),
                int.Parse(Get("port", "18555"), CultureInfo.InvariantCulture),
                int.Parse(Get("memory-bits", "28"), CultureInfo.InvariantCulture),
                Get("resp", ""),
                Get("engines", ""),
                int.Parse(Get("resp-port", "31000"), CultureInfo.InvariantCulture));
        }
    }
}

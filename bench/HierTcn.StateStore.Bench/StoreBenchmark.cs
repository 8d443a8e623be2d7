using System.Diagnostics;
using System.Globalization;
using HierTcn.Formats.State;
using HierTcn.StateStore.Client;

namespace HierTcn.StateStore.Bench;

/// <summary>
/// Loads N users with ~2 KB states, then measures timed Get and Put phases (random users, C concurrent callers)
/// on the embedded engine in this process and over gRPC against a server child process, and reports ops/s,
/// p50/p99, memory, disk and recovery time.
/// <code>dotnet HierTcn.StateStore.Bench.dll --users 1000000 --concurrency 64 --seconds 20 --data /tmp/ssbench</code>
/// </summary>
public static class StoreBenchmark
{
    private const int HiddenSize = 425;

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = Settings.Parse(args);
        Directory.CreateDirectory(settings.Data);
        var sample = MakeState(0, 0);
        Console.WriteLine($"# users {settings.Users:N0}, state {UserStateSerializer.GetSize(sample)} bytes, {settings.Concurrency} concurrent callers, {settings.Seconds} s per phase, {Environment.ProcessorCount} cores");
        var options = EngineOptions(settings, Path.Combine(settings.Data, "embedded"));

        (double Put, double Get) embedded = default, remote = default;
        if (settings.Mode is "both" or "embedded")
        {
            var engine = await StateStoreEngine.OpenAsync(options);
            await using (var store = new EmbeddedStateStore(engine))
                embedded = await MeasureAsync("embedded", store, settings);
            Console.WriteLine($"embedded memory: working set {Environment.WorkingSet / (1 << 20)} MiB, managed heap {GC.GetTotalMemory(false) / (1 << 20)} MiB; disk {DiskMiB(options.DataDirectory)} MiB");
            await engine.AbandonAsync();
            var reopenStart = Stopwatch.GetTimestamp();
            await using (var reopened = await StateStoreEngine.OpenAsync(options))
            {
                var stats = reopened.GetStats();
                Console.WriteLine($"embedded recovery after an abandon right after the Put phase (as after SIGKILL): open {Stopwatch.GetElapsedTime(reopenStart).TotalSeconds:F2} s, engine recovery {stats.RecoveryTime.TotalSeconds:F2} s, {stats.ReplayedRecords:N0} WAL records replayed");
            }
        }
        if (settings.Mode is "both" or "grpc")
        {
            int port = settings.Port;
            var dir = Path.Combine(settings.Data, "server");
            using (var server = ServerChild.Start(port, EngineOptions(settings, dir)))
            {
                await using var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{port}"], CallTimeout = TimeSpan.FromSeconds(30) });
                await server.WaitReadyAsync(store);
                remote = await MeasureAsync("grpc", store, settings);
                Console.WriteLine($"grpc server memory: RSS {server.RssMiB()} MiB; disk {DiskMiB(dir)} MiB");
                server.Kill();
            }
            var restart = Stopwatch.GetTimestamp();
            using (var server = ServerChild.Start(port, EngineOptions(settings, dir)))
            {
                await using var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{port}"] });
                await server.WaitReadyAsync(store);
                Console.WriteLine($"grpc server restart after a SIGKILL right after the Put phase, until the first answer: {Stopwatch.GetElapsedTime(restart).TotalSeconds:F2} s");
                server.Kill();
            }
        }
        if (settings.Mode == "both")
            Console.WriteLine($"ratio grpc/embedded: Put {remote.Put / embedded.Put:F3}, Get {remote.Get / embedded.Get:F3}");
        return 0;
    }

    private static StateStoreOptions EngineOptions(Settings settings, string directory) => new()
    {
        DataDirectory = directory,
        IndexBuckets = (long)Math.Max(1 << 10, BitOperationsRoundUp(settings.Users / 4)),
        StoreMemorySizeBits = settings.MemoryBits,
        CheckpointInterval = TimeSpan.FromSeconds(30),
        UserTtl = TimeSpan.Zero,
    };

    private static long BitOperationsRoundUp(long value) => (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, value));

    private static async Task<(double Put, double Get)> MeasureAsync(string name, IStateStore store, Settings settings)
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

        double get = await TimedAsync($"{name} Get", settings, async (random, worker) =>
        {
            var result = await store.GetAsync(new StateKey("bench", random.NextInt64(settings.Users)));
            if (result.Status != StoreStatus.Ok)
                throw new InvalidOperationException($"get: {result.Status} {result.Error}");
        });
        double put = await TimedAsync($"{name} Put", settings, async (random, worker) =>
        {
            var result = await store.PutAsync(MakeState(random.NextInt64(settings.Users), 2));
            if (!result.IsOk)
                throw new InvalidOperationException($"put: {result.Status} {result.Error}");
        });
        return (put, get);
    }

    private static async Task<double> TimedAsync(string name, Settings settings, Func<Random, int, Task> operation)
    {
        var latencies = new LatencyRecorder(settings.Concurrency);
        var stopAt = Stopwatch.GetTimestamp() + (long)(settings.Seconds * Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();
        await Parallel(settings.Concurrency, async worker =>
        {
            var random = new Random(worker * 7919 + name.Length);
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                long start = Stopwatch.GetTimestamp();
                await operation(random, worker);
                latencies.Add(worker, Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
        });
        var (count, p50, p99) = latencies.Summary();
        double rate = count / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {rate:N0} ops/s, p50 {p50 / 1000:F3} ms, p99 {p99 / 1000:F3} ms ({count:N0} ops)"));
        return rate;
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

    private sealed record Settings(long Users, int Concurrency, double Seconds, string Data, string Mode, int Port, int MemoryBits)
    {
        public static Settings Parse(string[] args)
        {
            var map = new Dictionary<string, string>();
            for (int i = 0; i + 1 < args.Length; i += 2)
                map[args[i].TrimStart('-')] = args[i + 1];
            string Get(string key, string fallback) => map.TryGetValue(key, out var v) ? v : fallback;
            return new Settings(
                long.Parse(Get("users", "100000"), CultureInfo.InvariantCulture),
                int.Parse(Get("concurrency", "64"), CultureInfo.InvariantCulture),
                double.Parse(Get("seconds", "10"), CultureInfo.InvariantCulture),
                Get("data", Path.Combine(Path.GetTempPath(), "hiertcn-ssbench")),
                Get("mode", "both"),
                int.Parse(Get("port", "18555"), CultureInfo.InvariantCulture),
                int.Parse(Get("memory-bits", "28"), CultureInfo.InvariantCulture));
        }
    }
}

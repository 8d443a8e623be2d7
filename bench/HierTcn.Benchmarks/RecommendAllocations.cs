using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;

namespace HierTcn.Benchmarks;

/// <summary>
/// Bytes allocated per in-process Recommend, counted rather than timed (so the figure does not depend on the machine's
/// load), then the latency by session length (<see cref="InterleavedLatencyAsync"/>): the same engine, store and model as <see cref="RecommendBenchmarks"/>, one user with an open session of
/// 1, 16 and 121 events, whole-catalogue k = 20, the embedding known (read + score). Every thread's allocations are
/// counted (<see cref="GC.GetTotalAllocatedBytes(bool)"/>), as BenchmarkDotNet's MemoryDiagnoser does. With
/// <c>--types</c> it also lists the types allocated, sampled by the runtime's allocation tick (one sample about every
/// 100 KB), which says where the bytes go:
/// <code>HIERTCN_BENCH_MODEL=/tmp/inf-bench/model dotnet run -c Release --project bench/HierTcn.Benchmarks -- alloc [--types]</code>
/// </summary>
internal static class RecommendAllocations
{
    private const long Start = 1_704_067_200_000; // 2024-01-01
    private const int Warmup = 2_000;
    private const int Calls = 20_000;

    public static async Task<int> RunAsync(string[] args)
    {
        bool types = args.Contains("--types");
        int at = Array.IndexOf(args, "--lengths");
        int[] lengths = at >= 0 && at + 1 < args.Length
            ? [.. args[at + 1].Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture))]
            : [1, 16, 121];
        string model = Environment.GetEnvironmentVariable("HIERTCN_BENCH_MODEL") is { Length: > 0 } m ? m
            : throw new InvalidOperationException("set HIERTCN_BENCH_MODEL to the directory HierTcn.LoadGen setup --out wrote (bundles/, snapshots/)");
        foreach (int length in lengths)
        {
            await MeasureAsync(model, length, types).ConfigureAwait(false);
        }
        await InterleavedLatencyAsync(model, lengths).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// Recommend latency by open-session length, measured so that neither order nor warm-up favours a length: one
    /// engine and store, one user per length, and every round asks each user once (the order rotated each round), so
    /// the lengths share the process's state (JIT tiers, ONNX Runtime arenas, caches) call by call. One caller: no
    /// queueing, so p50 is the cost of one Recommend.
    /// </summary>
    private static async Task InterleavedLatencyAsync(string model, int[] lengths)
    {
        long[] items = ItemIds(model);
        string root = Directory.CreateTempSubdirectory("hiertcn-recommend-latency-").FullName;
        try
        {
            await using var store = await OpenStoreAsync(root).ConfigureAwait(false);
            await using var engine = StartEngine(model, store, null);
            var queries = new RecommendQuery[lengths.Length];
            for (int u = 0; u < lengths.Length; u++)
            {
                long time = Start;
                for (int i = 0; i < lengths[u]; i++)
                {
                    time += 1_000;
                    var e = new ObservedEvent(u + 1, items[(i + 7 * u) % items.Length], time,
                        string.Create(CultureInfo.InvariantCulture, $"u{u}e{i}"));
                    await engine.ObserveAsync([e]).ConfigureAwait(false);
                }
                queries[u] = new RecommendQuery(u + 1, [], 20, [], null, time);
            }
            var ticks = new long[lengths.Length][];
            for (int u = 0; u < lengths.Length; u++)
            {
                ticks[u] = new long[Calls];
            }
            for (int round = -Warmup; round < Calls; round++)
            {
                for (int j = 0; j < lengths.Length; j++)
                {
                    int u = (j + Math.Abs(round)) % lengths.Length;
                    long t0 = Stopwatch.GetTimestamp();
                    await RecommendAsync(engine, queries[u]).ConfigureAwait(false);
                    long spent = Stopwatch.GetTimestamp() - t0;
                    if (round >= 0)
                    {
                        ticks[u][round] = spent;
                    }
                }
            }
            var p50 = new double[lengths.Length];
            for (int u = 0; u < lengths.Length; u++)
            {
                Array.Sort(ticks[u]);
                double Us(double q) => ticks[u][(int)Math.Min(Calls - 1, q * Calls)] * 1e6 / Stopwatch.Frequency;
                p50[u] = Us(0.5);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"latency, session of {lengths[u],3} events, interleaved ({Calls} calls): p50 {Us(0.5):F1} us, p90 {Us(0.9):F1} us, p99 {Us(0.99):F1} us"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"p50 largest / smallest: {p50.Max() / p50.Min():F3}"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task MeasureAsync(string model, int sessionLength, bool types)
    {
        long[] items = ItemIds(model);
        string root = Directory.CreateTempSubdirectory("hiertcn-recommend-alloc-").FullName;
        try
        {
            var runs = new RunCounter();
            await using var store = await OpenStoreAsync(root).ConfigureAwait(false);
            await using var engine = StartEngine(model, store, runs);
            long time = Start;
            for (int i = 0; i < sessionLength; i++)
            {
                time += 1_000;
                var e = new ObservedEvent(1, items[i % items.Length], time, "e" + i.ToString(CultureInfo.InvariantCulture));
                await engine.ObserveAsync([e]).ConfigureAwait(false);
            }
            var query = new RecommendQuery(1, [], 20, [], null, time);
            for (int i = 0; i < Warmup; i++)
            {
                await RecommendAsync(engine, query).ConfigureAwait(false);
            }
            runs.Counting = true;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < Calls; i++)
            {
                await RecommendAsync(engine, query).ConfigureAwait(false);
            }
            long after = GC.GetTotalAllocatedBytes(precise: true);
            runs.Counting = false;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"session of {sessionLength,3} events: {(after - before) / (double)Calls,8:F0} bytes allocated per Recommend ({Calls} calls), "
                + $"ONNX runs per call: {runs.Summary(Calls)}"));
            if (types)
            {
                using var listener = new AllocationListener();
                for (int i = 0; i < Calls; i++)
                {
                    await RecommendAsync(engine, query).ConfigureAwait(false);
                }
                listener.Print(Calls);
            }
            // One new event, then Recommend (the step graphs run), over Users users whose open sessions all start at
            // this length, so each session grows by ObserveCalls / Users events only.
            const int ObserveCalls = 2_000, Users = 50;
            var userTime = new long[Users];
            for (int u = 0; u < Users; u++)
            {
                userTime[u] = Start;
                for (int i = 0; i < sessionLength; i++)
                {
                    userTime[u] += 1_000;
                    await engine.ObserveAsync([new ObservedEvent(100 + u, items[i % items.Length], userTime[u],
                        string.Create(CultureInfo.InvariantCulture, $"p{u}e{i}"))]).ConfigureAwait(false);
                }
            }
            var observed = new ObservedEvent[ObserveCalls][];
            var afterEvent = new RecommendQuery[ObserveCalls];
            for (int i = 0; i < ObserveCalls; i++)
            {
                int u = i % Users;
                userTime[u] += 1_000;
                observed[i] = [new ObservedEvent(100 + u, items[(sessionLength + i) % items.Length], userTime[u],
                    string.Create(CultureInfo.InvariantCulture, $"q{u}e{i}"))];
                afterEvent[i] = new RecommendQuery(100 + u, [], 20, [], null, userTime[u]);
            }
            using var eventListener = types ? new AllocationListener() : null;
            runs.Reset();
            runs.Counting = true;
            before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < ObserveCalls; i++)
            {
                await engine.ObserveAsync(observed[i]).ConfigureAwait(false);
                await RecommendAsync(engine, afterEvent[i]).ConfigureAwait(false);
            }
            after = GC.GetTotalAllocatedBytes(precise: true);
            runs.Counting = false;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  then one new event + Recommend: {(after - before) / (double)ObserveCalls,8:F0} bytes allocated per pair ({ObserveCalls} pairs over {Users} users), "
                + $"ONNX runs per pair: {runs.Summary(ObserveCalls)}"));
            eventListener?.Print(ObserveCalls);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The item ids of the benchmark model's current snapshot, in catalogue order.</summary>
    private static long[] ItemIds(string model)
    {
        using var snapshot = ItemSnapshot.OpenCurrent(Path.Combine(model, "snapshots"));
        return snapshot.ItemIds.ToArray();
    }

    /// <summary>A small embedded store in <paramref name="root"/>.</summary>
    private static Task<EmbeddedStateStore> OpenStoreAsync(string root) => EmbeddedStateStore.OpenAsync(new StateStoreOptions
    {
        DataDirectory = root,
        IndexBuckets = 1024,
        StoreMemorySizeBits = 23,
        SegmentSizeBits = 22,
    });

    /// <summary>The engine on the benchmark model's bundle "globo-v1", no batching wait.</summary>
    private static RecommenderEngine StartEngine(string model, EmbeddedStateStore store, IRecommenderMetrics? metrics) => RecommenderEngine.Start(new RecommenderOptions
    {
        BundlesDirectory = Path.Combine(model, "bundles"),
        SnapshotsDirectory = Path.Combine(model, "snapshots"),
        Models = [new ModelArmOptions { Version = "globo-v1" }],
        SnapshotPollInterval = TimeSpan.Zero,
        Batching = new() { MaxWaitMicroseconds = 0 },
    }, store, metrics);

    private static async Task RecommendAsync(RecommenderEngine engine, RecommendQuery query)
    {
        var outcome = await engine.RecommendAsync(query, DateTime.UtcNow.AddSeconds(10)).ConfigureAwait(false);
        if (outcome.Status != ServeStatus.Ok || outcome.Items.Count != query.K)
        {
            throw new InvalidOperationException($"Recommend answered {outcome.Status}: {outcome.Error}");
        }
    }

    /// <summary>Counts ONNX runs by graph role while <see cref="Counting"/> (it allocates nothing itself).</summary>
    private sealed class RunCounter : IRecommenderMetrics
    {
        private readonly Dictionary<string, long> _runs = [];
        private readonly Lock _lock = new();

        public volatile bool Counting;

        public void OnnxRun(string modelVersion, string role, double seconds)
        {
            if (Counting)
            {
                lock (_lock)
                {
                    System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_runs, role, out _)++;
                }
            }
        }

        public void Reset()
        {
            lock (_lock)
            {
                _runs.Clear();
            }
        }

        public string Summary(int calls)
        {
            lock (_lock)
            {
                return _runs.Count == 0 ? "none"
                    : string.Join(", ", _runs.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value / (double)calls:F2}")));
            }
        }

        public void Batch(string modelVersion, int size, int expired, int queueDepth)
        {
        }

        public void StateStore(string operation, double seconds)
        {
        }

        public void Loaded(IReadOnlyList<(string ModelVersion, string Provider, string SnapshotVersion)> versions)
        {
        }
    }

    /// <summary>Samples allocations by type from the runtime's GCAllocationTick events.</summary>
    private sealed class AllocationListener : EventListener
    {
        private readonly Dictionary<string, long> _bytes = [];
        private readonly Lock _lock = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick at verbose level
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName != "GCAllocationTick_V4" || e.Payload is null)
            {
                return;
            }
            string type = e.PayloadNames!.IndexOf("TypeName") is int t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
            long amount = e.PayloadNames.IndexOf("AllocationAmount64") is int a and >= 0 ? Convert.ToInt64(e.Payload[a], CultureInfo.InvariantCulture) : 0;
            lock (_lock)
            {
                _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
            }
        }

        public void Print(int calls)
        {
            lock (_lock)
            {
                foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(30))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {bytes / (double)calls,8:F0} B/call  {type}"));
                }
            }
        }
    }
}

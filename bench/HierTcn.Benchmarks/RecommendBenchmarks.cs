using BenchmarkDotNet.Attributes;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;

namespace HierTcn.Benchmarks;

/// <summary>
/// Allocations and time of one in-process Recommend (issue 11: allocations per Recommend under 4 KB): the engine with
/// the embedded FASTER store on the load generator's benchmark model (bench/RESULTS.md, "Inference": HierTCN at the
/// paper's sizes, the Globo catalogue), whole-catalogue k = 20. One user's open session of
/// <see cref="SessionLength"/> events; <see cref="Recommend_EmbeddingKnown"/> asks again without a new event (read +
/// score), <see cref="ObserveThenRecommend"/> applies one new event first (one TCN row). The model directory is the
/// one <c>HierTcn.LoadGen setup --out DIR</c> writes, named by the environment variable HIERTCN_BENCH_MODEL:
/// <code>HIERTCN_BENCH_MODEL=/tmp/inf-bench/model dotnet run -c Release --project bench/HierTcn.Benchmarks -- --filter '*RecommendBenchmarks*'</code>
/// </summary>
[MemoryDiagnoser]
public class RecommendBenchmarks
{
    private const long Start = 1_704_067_200_000; // 2024-01-01
    private string _root = "";
    private EmbeddedStateStore? _store;
    private RecommenderEngine? _engine;
    private long[] _items = [];
    private long _time;
    private int _events;

    [Params(1, 16, 121)]
    public int SessionLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string model = Environment.GetEnvironmentVariable("HIERTCN_BENCH_MODEL") is { Length: > 0 } m ? m
            : throw new InvalidOperationException("set HIERTCN_BENCH_MODEL to the directory HierTcn.LoadGen setup --out wrote (bundles/, snapshots/)");
        string snapshots = Path.Combine(model, "snapshots");
        using (var snapshot = ItemSnapshot.OpenCurrent(snapshots))
        {
            _items = snapshot.ItemIds.ToArray();
        }
        _root = Directory.CreateTempSubdirectory("hiertcn-recommend-bench-").FullName;
        _store = EmbeddedStateStore.OpenAsync(new StateStoreOptions
        {
            DataDirectory = _root,
            IndexBuckets = 1024,
            StoreMemorySizeBits = 23,
            SegmentSizeBits = 22,
        }).GetAwaiter().GetResult();
        _engine = RecommenderEngine.Start(new RecommenderOptions
        {
            BundlesDirectory = Path.Combine(model, "bundles"),
            SnapshotsDirectory = snapshots,
            Models = [new ModelArmOptions { Version = "globo-v1" }],
            SnapshotPollInterval = TimeSpan.Zero,
            Batching = new() { MaxWaitMicroseconds = 0 },
        }, _store);
        _time = Start;
        for (int i = 0; i < SessionLength; i++)
        {
            Observe();
        }
        Recommend_EmbeddingKnown().GetAwaiter().GetResult();
    }

    [Benchmark]
    public async Task<int> Recommend_EmbeddingKnown()
    {
        var outcome = await _engine!.RecommendAsync(new RecommendQuery(1, [], 20, [], null, _time), DateTime.UtcNow.AddSeconds(10));
        return outcome.Items.Count;
    }

    [Benchmark]
    public async Task<int> ObserveThenRecommend()
    {
        Observe();
        var outcome = await _engine!.RecommendAsync(new RecommendQuery(1, [], 20, [], null, _time), DateTime.UtcNow.AddSeconds(10));
        return outcome.Items.Count;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_root, recursive: true);
    }

    // One event a second (well inside a session), each a new id, items in catalogue order.
    private void Observe()
    {
        _time += 1_000;
        var e = new ObservedEvent(1, _items[_events % _items.Length], _time, "e" + _events.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _events++;
        _engine!.ObserveAsync([e]).GetAwaiter().GetResult();
    }
}

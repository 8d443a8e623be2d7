using BenchmarkDotNet.Attributes;
using HierTcn.Exporter;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;

namespace HierTcn.Benchmarks;

/// <summary>
/// Allocations and time of one in-process Recommend (issue 11's "allocations per Recommend under 4 KB"): the engine
/// with the embedded FASTER store, a HierTCN bundle at the paper's sizes (random weights: the cost does not depend on
/// them), 2,521 items (the Globo catalogue's size), whole-catalogue k = 20. One user's open session of
/// <see cref="SessionLength"/> events; <see cref="Recommend_EmbeddingKnown"/> asks again without a new event (read +
/// score), <see cref="ObserveThenRecommend"/> applies one new event first (one TCN row).
/// <code>dotnet run -c Release --project bench/HierTcn.Benchmarks -- --filter '*RecommendBenchmarks*'</code>
/// </summary>
[MemoryDiagnoser]
public class RecommendBenchmarks
{
    private const int Items = 2_521;
    private const long Start = 1_704_067_200_000; // 2024-01-01
    private string _root = "";
    private EmbeddedStateStore? _store;
    private RecommenderEngine? _engine;
    private long _time;
    private int _events;

    [Params(1, 16, 121)]
    public int SessionLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("hiertcn-recommend-bench-").FullName;
        var random = new Random(1);
        var weights = PaperSizeWeights(random);
        var ids = Enumerable.Range(0, Items).Select(i => 1_000L + i).ToArray();
        var vectors = weights["item_embedding.weight"].Data;
        string snapshots = Path.Combine(_root, "snapshots");
        string snapshot = ItemSnapshotDirectory.Publish(snapshots, "items", ids, vectors, 128);
        BundleExporter.Export(Path.Combine(_root, "bundles"), ModelTypes.HierTcn, weights, "v1", BundleExporter.Reference(snapshot));
        _store = EmbeddedStateStore.OpenAsync(new StateStoreOptions
        {
            DataDirectory = Path.Combine(_root, "store"),
            IndexBuckets = 1024,
            StoreMemorySizeBits = 23,
            SegmentSizeBits = 22,
        }).GetAwaiter().GetResult();
        _engine = RecommenderEngine.Start(new RecommenderOptions
        {
            BundlesDirectory = Path.Combine(_root, "bundles"),
            SnapshotsDirectory = snapshots,
            Models = [new ModelArmOptions { Version = "v1" }],
            SnapshotPollInterval = TimeSpan.Zero,
            Batching = new() { MaxWaitMicroseconds = 0 },
        }, _store);
        _time = Start;
        for (int i = 0; i < SessionLength; i++)
        {
            Observe(random.Next(Items));
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
        Observe(_events % Items);
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

    private void Observe(int item)
    {
        _time += 1_000;
        var e = new ObservedEvent(1, 1_000L + item, _time, "e" + _events++.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _engine!.ObserveAsync([e]).GetAwaiter().GetResult();
    }

    /// <summary>HierTCN at the paper's sizes (exporter/CONTRACT.md names): d 128, one 128-unit high-level GRU layer,
    /// TCN 4 blocks x 128 channels, kernel 5; uniform random values scaled by 1/sqrt(fan-in).</summary>
    private static ModelWeights PaperSizeWeights(Random random)
    {
        const int d = 128, h = 128, c = 128, kernel = 5, blocks = 4;
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        void Add(string name, params int[] shape)
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            int fanIn = shape.Length > 1 ? shape.Skip(1).Aggregate(1, (a, b) => a * b) : shape[0];
            float scale = 1f / MathF.Sqrt(fanIn);
            tensors[name] = new WeightTensor(shape, [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale)]);
        }
        Add("item_embedding.weight", Items, d);
        Add("session_start", d);
        Add("user_start", 1, h);
        Add("high_gru.layers.0.weight_ih", 3 * h, d);
        Add("high_gru.layers.0.weight_hh", 3 * h, h);
        Add("high_gru.layers.0.bias_ih", 3 * h);
        Add("high_gru.layers.0.bias_hh", 3 * h);
        for (int i = 0; i < blocks; i++)
        {
            int cin = i == 0 ? d + h : c;
            Add($"tcn.blocks.{i}.conv1.weight", c, cin, kernel);
            Add($"tcn.blocks.{i}.conv1.bias", c);
            Add($"tcn.blocks.{i}.conv2.weight", c, c, kernel);
            Add($"tcn.blocks.{i}.conv2.bias", c);
            if (cin != c)
            {
                Add($"tcn.blocks.{i}.downsample.weight", c, cin, 1);
                Add($"tcn.blocks.{i}.downsample.bias", c);
            }
        }
        Add("output.weight", d, c);
        Add("output.bias", d);
        return new ModelWeights(tensors);
    }
}

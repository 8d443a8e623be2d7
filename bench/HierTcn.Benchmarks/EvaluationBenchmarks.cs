using BenchmarkDotNet.Attributes;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Benchmarks;

/// <summary>Full-catalogue evaluation: scored events per second through <see cref="Evaluator.Evaluate"/> with a model
/// that only copies rows, for the Globo catalogue (2,521 items) and a larger one. Reported time is per scored event.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class EvaluationBenchmarks
{
    private const int Users = 256;
    private const int EventsPerUser = 20;
    private const int ScoredEvents = Users * (EventsPerUser - 1);

    private string _dir = "";
    private PreparedDataset _data = null!;
    private RandomRowModel _model = null!;

    [Params(2_521, 100_000)]
    public int Items { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"hiertcn-bench-eval-{Environment.ProcessId}-{Items}");
        SyntheticDataset.Write(_dir, Items, Users, EventsPerUser, seed: 1);
        _data = PreparedDataset.Open(_dir);
        _model = new RandomRowModel(Items, seed: 2);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _data.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = ScoredEvents)]
    public double Evaluate() =>
        Evaluator.Evaluate(_data, _model, DataSplit.Test, new EvaluationOptions { MaxDegreeOfParallelism = Threads }).Metrics.Event.Mrr;
}

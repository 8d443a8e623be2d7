using System.IO.Compression;
using System.Text;
using BenchmarkDotNet.Attributes;
using HierTcn.Data.Ingest;

namespace HierTcn.Benchmarks;

/// <summary>Event ingest: rows per second through <see cref="EventReader.Read"/> for a 1M-row CSV, plain and gzip.
/// Reported time is per row.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 1, iterationCount: 5)]
public class IngestBenchmarks
{
    private const int Rows = 1_000_000;
    private string _dir = "";

    [Params(false, true)]
    public bool Gzip { get; set; }

    private string Path => System.IO.Path.Combine(_dir, Gzip ? "events.csv.gz" : "events.csv");

    [GlobalSetup]
    public void Setup()
    {
        _dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"hiertcn-bench-ingest-{Environment.ProcessId}");
        Directory.CreateDirectory(_dir);
        var rng = new Random(3);
        var sb = new StringBuilder(Rows * 40);
        sb.Append("user_id,session_id,item_id,timestamp_ms\n");
        long ts = 1_506_826_800_000;
        for (int i = 0; i < Rows; i++)
        {
            ts += rng.Next(1, 5000);
            sb.Append(rng.Next(300_000)).Append(',').Append(rng.NextInt64(1L << 40)).Append(',').Append(rng.Next(50_000))
              .Append(',').Append(ts).Append('\n');
        }
        byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
        using var file = File.Create(Path);
        if (Gzip)
        {
            using var z = new GZipStream(file, CompressionLevel.Fastest);
            z.Write(bytes);
        }
        else
        {
            file.Write(bytes);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(OperationsPerInvoke = Rows)]
    public int Read() => EventReader.Read(Path).Count;
}

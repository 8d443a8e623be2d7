using System.IO.Compression;
using System.Text;
using BenchmarkDotNet.Attributes;
using HierTcn.Data.Ingest;
using Parquet;
using Parquet.Schema;

namespace HierTcn.Benchmarks;

/// <summary>Event ingest: rows per second through <see cref="EventReader.Read"/> for the same 1M rows as CSV (plain,
/// gzip) and Parquet (int64 columns, row groups of 250,000 rows). Reported time is per row.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 1, iterationCount: 5)]
public class IngestBenchmarks
{
    private const int Rows = 1_000_000;
    private string _dir = "";

    [Params("csv", "csv.gz", "parquet")]
    public string Format { get; set; } = "csv";

    private string Path => System.IO.Path.Combine(_dir, "events." + Format);

    [GlobalSetup]
    public void Setup()
    {
        _dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"hiertcn-bench-ingest-{Environment.ProcessId}");
        Directory.CreateDirectory(_dir);
        var rng = new Random(3);
        var columns = new long[4][];
        for (int c = 0; c < 4; c++)
        {
            columns[c] = new long[Rows];
        }
        long ts = 1_506_826_800_000;
        for (int i = 0; i < Rows; i++)
        {
            ts += rng.Next(1, 5000);
            columns[0][i] = rng.Next(300_000);
            columns[1][i] = rng.NextInt64(1L << 40);
            columns[2][i] = rng.Next(50_000);
            columns[3][i] = ts;
        }
        if (Format == "parquet")
        {
            WriteParquet(columns).GetAwaiter().GetResult();
            return;
        }
        var sb = new StringBuilder(Rows * 40);
        sb.Append("user_id,session_id,item_id,timestamp_ms\n");
        for (int i = 0; i < Rows; i++)
        {
            sb.Append(columns[0][i]).Append(',').Append(columns[1][i]).Append(',').Append(columns[2][i]).Append(',').Append(columns[3][i]).Append('\n');
        }
        byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
        using var file = File.Create(Path);
        if (Format == "csv.gz")
        {
            using var z = new GZipStream(file, CompressionLevel.Fastest);
            z.Write(bytes);
        }
        else
        {
            file.Write(bytes);
        }
    }

    private async Task WriteParquet(long[][] columns)
    {
        var fields = new[] { "user_id", "session_id", "item_id", "timestamp_ms" }.Select(n => new DataField<long>(n)).ToArray();
        await using var stream = File.Create(Path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream);
        const int GroupRows = 250_000;
        for (int start = 0; start < Rows; start += GroupRows)
        {
            using var group = writer.CreateRowGroup();
            for (int c = 0; c < fields.Length; c++)
            {
                await group.WriteAsync<long>(fields[c], columns[c].AsMemory(start, Math.Min(GroupRows, Rows - start)));
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(OperationsPerInvoke = Rows)]
    public int Read() => EventReader.Read(Path).Count;
}

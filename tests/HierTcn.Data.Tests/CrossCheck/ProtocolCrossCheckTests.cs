using System.Diagnostics;
using System.Text.Json;
using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Data.Preparation;

namespace HierTcn.Data.Tests.CrossCheck;

/// <summary>C# preparation and evaluation against tests/protocol-reference/protocol_ref.py, an independent Python
/// implementation of PROTOCOL.md, on generated files full of edge cases.</summary>
public sealed class ProtocolCrossCheckTests : IDisposable
{
    private const double Tolerance = 1e-9;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hiertcn-xcheck-" + Guid.NewGuid().ToString("N"));

    public ProtocolCrossCheckTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [PythonTheory]
    [InlineData(1, "cold")]
    [InlineData(2, "cold")]
    [InlineData(3, "warm")]
    [InlineData(4, "warm")]
    public void PrepareAndPopularity_NastyFile_MatchPythonReference(int seed, string split)
    {
        string events = Path.Combine(_dir, seed % 2 == 0 ? $"events-{seed}.csv.gz" : $"events-{seed}.csv");
        NastyEventFile.Write(events, seed, gzip: seed % 2 == 0);
        string dataDir = Path.Combine(_dir, $"ds-{seed}");
        var header = DatasetPreparer.Prepare(events, dataDir, new PrepareOptions { Split = split == "cold" ? SplitKind.Cold : SplitKind.Warm });
        using var reference = Python(split, events);
        var r = reference.RootElement;

        AssertCounts(header, r);
        if (split == "warm")
        {
            Assert.Equal(r.GetProperty("t1_ms").GetInt64(), header.T1Ms);
            Assert.Equal(r.GetProperty("t2_ms").GetInt64(), header.T2Ms);
        }
        using var data = PreparedDataset.Open(dataDir);
        AssertFileIsNasty(data);
        var pop = PopularityModel.Fit(data);
        foreach (var s in new[] { DataSplit.Validation, DataSplit.Test })
        {
            var report = Evaluator.Evaluate(data, pop, s);
            Assert.True(report.Metrics.Event.N > 0, $"{split} {s}: nothing scored, the file does not exercise the protocol");
            AssertMetrics(r.GetProperty("pop").GetProperty(DatasetHeader.SplitName(s)), report.Metrics, $"{split} {s}");
        }
    }

    [PythonTheory]
    [InlineData(5)]
    [InlineData(6)]
    public void ScoreOtherFile_NastyFiles_MatchPythonReference(int seed)
    {
        string parentEvents = Path.Combine(_dir, $"parent-{seed}.csv.gz");
        string otherEvents = Path.Combine(_dir, $"other-{seed}.csv");
        NastyEventFile.Write(parentEvents, seed, gzip: true);
        NastyEventFile.Write(otherEvents, seed + 100, gzip: false, catalogueFrom: seed);
        string parentDir = Path.Combine(_dir, $"parent-{seed}");
        string otherDir = Path.Combine(_dir, $"other-{seed}");
        DatasetPreparer.Prepare(parentEvents, parentDir, new PrepareOptions());
        var header = DatasetPreparer.Prepare(otherEvents, otherDir, new PrepareOptions { CatalogFrom = parentDir });
        using var reference = Python("score", parentEvents, otherEvents);
        var r = reference.RootElement;

        AssertCounts(header, r);
        using var parent = PreparedDataset.Open(parentDir);
        using var other = PreparedDataset.Open(otherDir);
        var report = Evaluator.Evaluate(other, PopularityModel.Fit(parent), DataSplit.Test);
        Assert.True(report.Metrics.Event.N > 0);
        AssertMetrics(r.GetProperty("pop").GetProperty("test"), report.Metrics, "score test");
    }

    /// <summary>Checks that the generator produced the edge cases the comparison is meant to cover.</summary>
    private static void AssertFileIsNasty(PreparedDataset data)
    {
        var lengths = Enumerable.Range(0, data.UserCount).Select(u => data.UserEvents(u).End - data.UserEvents(u).Start).ToArray();
        Assert.Contains(10, lengths);
        Assert.Contains(1000, lengths);
        Assert.Equal(30, data.ItemCount);
        var ts = data.EventTimestamps;
        var opens = data.SessionStartFlags();
        bool exactGapInside = false, equalTimes = false;
        for (int e = 1; e < data.EventCount; e++)
        {
            exactGapInside |= opens[e] == 0 && ts[e] - ts[e - 1] == 1_800_000;
            equalTimes |= opens[e] == 0 && ts[e] == ts[e - 1];
        }
        Assert.True(exactGapInside && equalTimes);
    }

    private static void AssertCounts(DatasetHeader header, JsonElement r)
    {
        Assert.Equal(r.GetProperty("sha256").GetString(), header.InputSha256);
        AssertCount(r.GetProperty("counts"), header.Counts, "all");
        foreach (string s in new[] { "train", "validation", "test" })
        {
            AssertCount(r.GetProperty("split_counts").GetProperty(s), header.SplitCounts[s], s);
        }
    }

    private static void AssertCount(JsonElement expected, DatasetCounts actual, string what)
    {
        Assert.Equal((what, expected.GetProperty("users").GetInt64()), (what, actual.Users));
        Assert.Equal((what, expected.GetProperty("items").GetInt64()), (what, actual.Items));
        Assert.Equal((what, expected.GetProperty("events").GetInt64()), (what, actual.Events));
        Assert.Equal((what, expected.GetProperty("sessions").GetInt64()), (what, actual.Sessions));
    }

    private static void AssertMetrics(JsonElement expected, MetricGroups actual, string what)
    {
        var groups = new (string Name, MetricSet Set)[]
        {
            ("event", actual.Event), ("user", actual.User), ("new_session", actual.NewSession), ("within_session", actual.WithinSession),
        };
        foreach (var (name, set) in groups)
        {
            var e = expected.GetProperty(name);
            Assert.Equal((what, name, e.GetProperty("n").GetInt64()), (what, name, set.N));
            foreach (var (key, value) in new[]
            {
                ("recall@1", set.Recall1), ("recall@5", set.Recall5), ("recall@10", set.Recall10), ("recall@20", set.Recall20),
                ("mrr", set.Mrr), ("mrp", set.Mrp),
            })
            {
                double want = e.GetProperty(key).GetDouble();
                Assert.True(Math.Abs(want - value) <= Tolerance, $"{what} {name} {key}: python {want}, C# {value}");
            }
        }
    }

    private static JsonDocument Python(params string[] args)
    {
        string script = Path.Combine(RepoRoot(), "tests", "protocol-reference", "protocol_ref.py");
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), "protocol_ref.py did not finish in 2 minutes");
        Assert.True(p.ExitCode == 0, $"protocol_ref.py failed: {stderr.Result}");
        return JsonDocument.Parse(stdout.Result);
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "HierTcn.sln")))
            {
                return d.FullName;
            }
        }
        throw new InvalidOperationException($"HierTcn.sln not found above {AppContext.BaseDirectory}");
    }
}

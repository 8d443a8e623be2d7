using System.IO.Compression;
using HierTcn.Data.Dataset;
using HierTcn.Data.Ingest;
using HierTcn.Data.Preparation;
using HierTcn.Data.Synthetic;
using HierTcn.Formats;

namespace HierTcn.Data.Tests;

public sealed class SyntheticGeneratorTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static SyntheticOptions Small(ulong seed = 7) => new() { Users = 300, Items = 200, Dim = 8, Topics = 10, Seed = seed };

    [Fact]
    public void Generate_SameSeed_ByteIdenticalFiles()
    {
        var a = SyntheticGenerator.Generate(_tmp.File("a"), Small());
        var b = SyntheticGenerator.Generate(_tmp.File("b"), Small());
        Assert.Equal(File.ReadAllBytes(a.EventsPath), File.ReadAllBytes(b.EventsPath));
        Assert.Equal(File.ReadAllBytes(a.ItemsPath), File.ReadAllBytes(b.ItemsPath));
        Assert.True(a.Events > 300 * 3 * 2 - 1);
    }

    [Fact]
    public void Generate_OtherSeed_OtherEvents()
    {
        var a = SyntheticGenerator.Generate(_tmp.File("a"), Small(7));
        var b = SyntheticGenerator.Generate(_tmp.File("b"), Small(8));
        Assert.NotEqual(File.ReadAllBytes(a.EventsPath), File.ReadAllBytes(b.EventsPath));
    }

    [Fact]
    public void Generate_Events_SortedWithClickAmongImpressionsAndProtocolSessions()
    {
        var summary = SyntheticGenerator.Generate(_tmp.File("s"), Small());
        var t = EventReader.Read(summary.EventsPath, new EventIngestOptions { ImpressionsColumn = "impressions" });
        Assert.Equal(summary.Events, t.Count);
        long sessions = 0;
        var rule = SessionRule.Default;
        for (int i = 0; i < t.Count; i++)
        {
            var shown = t.Impressions(i);
            Assert.Equal(10, shown.Length);
            Assert.Contains(t.Items[i], shown.ToArray());
            Assert.Equal(10, shown.ToArray().Distinct().Count());
            bool newUser = i == 0 || t.Users[i] != t.Users[i - 1];
            if (!newUser)
            {
                Assert.True(t.Users[i] > t.Users[i - 1] || t.Timestamps[i] > t.Timestamps[i - 1]);
            }
            sessions += newUser || rule.StartsNewSession(t.Timestamps[i - 1], t.Timestamps[i]) ? 1 : 0;
        }
        // The generator's own sessions are exactly the protocol's: gaps inside are < 30 min, between them > 30 min.
        Assert.Equal(summary.Sessions, sessions);
    }

    [Fact]
    public void Generate_Items_UnitNormFeaturesOfRequestedDim()
    {
        var summary = SyntheticGenerator.Generate(_tmp.File("i"), Small() with { Dim = 16 });
        using var reader = new StreamReader(new GZipStream(File.OpenRead(summary.ItemsPath), CompressionMode.Decompress));
        string[] header = reader.ReadLine()!.Split(',');
        Assert.Equal(["item_id", .. Enumerable.Range(0, 16).Select(j => $"f{j}")], header);
        int rows = 0;
        while (reader.ReadLine() is string line)
        {
            var f = line.Split(',').Skip(1).Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(1.0, Math.Sqrt(f.Sum(x => x * x)), 4);
            rows++;
        }
        Assert.Equal(200, rows);
    }

    [Fact]
    public void Generate_DefaultSizes_EveryItemSurvivesTheProtocolAndPreparesWithFeatures()
    {
        var options = new SyntheticOptions();
        var summary = SyntheticGenerator.Generate(_tmp.File("g"), options);
        string dir = _tmp.File("ds");
        var header = DatasetPreparer.Prepare(summary.EventsPath, dir, new PrepareOptions
        {
            ItemsPath = summary.ItemsPath,
            Ingest = new EventIngestOptions { ImpressionsColumn = "impressions" },
        });
        // Every item keeps >= 50 events, so the catalogue is the whole item set.
        Assert.Equal(options.Items, header.Counts.Items);
        using var ds = PreparedDataset.Open(dir);
        Assert.Equal(options.Dim, ds.ItemFeatureDim);
        Assert.True(ds.HasImpressions);
        Assert.Equal(10, ds.Impressions(0).Length);
        Assert.Contains(ds.EventItems[0], ds.Impressions(0).ToArray());
    }

    [Fact]
    public void Generate_NextClick_PredictableFromPreviousClickBeyondPopularity()
    {
        // Fit on even users, score odd users' next clicks: the 10 most frequent successors of the previous click
        // must hit far more often than the 10 most popular items, or a sequence model has nothing to learn.
        var summary = SyntheticGenerator.Generate(_tmp.File("l"), new SyntheticOptions { Users = 2_000, Items = 500, Topics = 20 });
        var t = EventReader.Read(summary.EventsPath);
        var popularity = new Dictionary<long, int>();
        var successors = new Dictionary<long, Dictionary<long, int>>();
        for (int i = 0; i < t.Count; i++)
        {
            if (t.Users[i] % 2 != 0)
            {
                continue;
            }
            popularity[t.Items[i]] = popularity.GetValueOrDefault(t.Items[i]) + 1;
            if (i > 0 && t.Users[i - 1] == t.Users[i])
            {
                var next = successors.TryGetValue(t.Items[i - 1], out var d) ? d : successors[t.Items[i - 1]] = [];
                next[t.Items[i]] = next.GetValueOrDefault(t.Items[i]) + 1;
            }
        }
        static HashSet<long> Top(Dictionary<long, int> counts) => [.. counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(10).Select(kv => kv.Key)];
        var popular = Top(popularity);
        var topSuccessors = successors.ToDictionary(kv => kv.Key, kv => Top(kv.Value));
        int n = 0, popHits = 0, seqHits = 0;
        for (int i = 1; i < t.Count; i++)
        {
            if (t.Users[i] % 2 == 1 && t.Users[i - 1] == t.Users[i])
            {
                n++;
                popHits += popular.Contains(t.Items[i]) ? 1 : 0;
                seqHits += topSuccessors.TryGetValue(t.Items[i - 1], out var top) && top.Contains(t.Items[i]) ? 1 : 0;
            }
        }
        double popRecall = (double)popHits / n, seqRecall = (double)seqHits / n;
        Assert.True(n > 10_000, $"{n} scored events");
        Assert.True(seqRecall > 3 * popRecall && seqRecall > 0.1, $"successors Recall@10 {seqRecall:F3}, popularity {popRecall:F3}");
    }

    [Fact]
    public void Validate_DimAboveMax_ThrowsNamingOption()
    {
        var e = Assert.Throws<UserInputException>(() => SyntheticGenerator.Generate(_tmp.File("x"), Small() with { Dim = 513 }));
        Assert.Contains("--dim", e.Message);
    }
}

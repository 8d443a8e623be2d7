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
    public void Generate_NoNewItems_SameTextAsBeforeNewItemsExisted()
    {
        // SHA-256 of the uncompressed files, written by the generator before it had new items: without them it draws
        // the same numbers, so datasets generated earlier (and figures measured on them) stay reproducible.
        var summary = SyntheticGenerator.Generate(_tmp.File("p"), Small());
        Assert.Equal("4341a8bb71b5c80ba05f8bf16f47939063eb63e5292f0487ed1af87157bd09f8", TextSha256(summary.EventsPath));
        Assert.Equal("70d5e3151f27abec4826357d6a4e4371a117c75e7bb7932b74970ee625700610", TextSha256(summary.ItemsPath));
        Assert.Null(summary.PublishedPath);
        Assert.False(File.Exists(Path.Combine(_tmp.File("p"), SyntheticSummary.PublishedFileName)));
    }

    [Fact]
    public void Generate_NewItemsSameSeed_ByteIdenticalFiles()
    {
        var a = SyntheticGenerator.Generate(_tmp.File("a"), Small() with { NewItems = 0.3 });
        var b = SyntheticGenerator.Generate(_tmp.File("b"), Small() with { NewItems = 0.3 });
        Assert.Equal(File.ReadAllBytes(a.EventsPath), File.ReadAllBytes(b.EventsPath));
        Assert.Equal(File.ReadAllBytes(a.PublishedPath!), File.ReadAllBytes(b.PublishedPath!));
        Assert.NotEqual(TextSha256(a.EventsPath), TextSha256(SyntheticGenerator.Generate(_tmp.File("c"), Small()).EventsPath));
    }

    [Fact]
    public void Generate_NewItems_NeverShownOrClickedBeforePublication()
    {
        var options = Small() with { NewItems = 0.3 };
        var summary = SyntheticGenerator.Generate(_tmp.File("n"), options);
        var published = ReadPublished(summary.PublishedPath!);
        Assert.Equal(200, published.Length);
        // The 60 highest ids are published over time, rising with the id, inside the documented window.
        long start = options.StartTimeMs;
        Assert.All(published[..140], p => Assert.Equal(start, p));
        Assert.All(published[140..], p => Assert.InRange(p, start + 86_400_000L, start + 18 * 86_400_000L));
        Assert.True(published[140..].Zip(published[141..]).All(x => x.First <= x.Second));

        var t = EventReader.Read(summary.EventsPath, new EventIngestOptions { ImpressionsColumn = "impressions" });
        int newClicks = 0;
        for (int i = 0; i < t.Count; i++)
        {
            Assert.True(published[t.Items[i]] <= t.Timestamps[i], $"item {t.Items[i]} clicked at {t.Timestamps[i]}, published {published[t.Items[i]]}");
            foreach (long shown in t.Impressions(i))
            {
                Assert.True(published[shown] <= t.Timestamps[i], $"item {shown} shown at {t.Timestamps[i]}, published {published[shown]}");
            }
            newClicks += t.Items[i] >= 140 ? 1 : 0;
        }
        Assert.True(newClicks > 0.05 * t.Count, $"{newClicks} of {t.Count} clicks on new items");
    }

    [Fact]
    public void Generate_NewItemsWarmSplit_TestPeriodClicksOnItemsWithoutTrainingEvents()
    {
        // The setting of bench/trainer/new-items.sh, smaller: after the warm split, some catalogue items have no
        // training event (published after T1), their test-period clicks are a real share of the test events, and a
        // new item's clicks crowd into its first fresh days.
        var options = new SyntheticOptions { Users = 1_500, Items = 400, Topics = 20, Dim = 16, NewItems = 0.3 };
        var summary = SyntheticGenerator.Generate(_tmp.File("w"), options);
        string dir = _tmp.File("wds");
        DatasetPreparer.Prepare(summary.EventsPath, dir, new PrepareOptions
        {
            Split = SplitKind.Warm,
            ItemsPath = summary.ItemsPath,
            Ingest = new EventIngestOptions { ImpressionsColumn = "impressions" },
        });
        using var ds = PreparedDataset.Open(dir);
        var published = ReadPublished(summary.PublishedPath!);
        var trained = new bool[ds.ItemCount];
        for (int e = 0; e < ds.EventCount; e++)
        {
            trained[ds.EventItems[e]] |= ds.EventSplit[e] == (byte)DataSplit.Train;
        }
        var untrained = Enumerable.Range(0, ds.ItemCount).Where(i => !trained[i]).ToList();
        Assert.All(untrained, i => Assert.True(ds.ItemIds[i] >= options.StartItems, $"start item {ds.ItemIds[i]} has no training event"));
        int testEvents = 0, testOnUntrained = 0, newEvents = 0, freshEvents = 0;
        long freshMs = (long)(options.FreshDays * 86_400_000);
        for (int e = 0; e < ds.EventCount; e++)
        {
            int item = ds.EventItems[e];
            long id = ds.ItemIds[item];
            if (ds.EventSplit[e] == (byte)DataSplit.Test)
            {
                testEvents++;
                testOnUntrained += trained[item] ? 0 : 1;
            }
            if (id >= options.StartItems)
            {
                newEvents++;
                freshEvents += ds.EventTimestamps[e] - published[id] < freshMs ? 1 : 0;
            }
        }
        Assert.True(untrained.Count >= 10, $"{untrained.Count} catalogue items without a training event");
        Assert.True(testOnUntrained > 0.05 * testEvents, $"{testOnUntrained} of {testEvents} test events on items without a training event");
        // A new item is out for about ten days on average, so an even spread would put a fifth of its clicks in its
        // first two.
        Assert.True(freshEvents > 0.35 * newEvents, $"{freshEvents} of {newEvents} new-item clicks in their first {options.FreshDays} days");
    }

    [Fact]
    public void Validate_NewItemsLeaveTooFewAtStart_ThrowsNamingOption()
    {
        var e = Assert.Throws<UserInputException>(() => SyntheticGenerator.Generate(_tmp.File("x"), Small() with { Items = 100, NewItems = 0.85 }));
        Assert.Contains("--new-items 0.85 leaves 15 items at the start", e.Message);
    }

    [Fact]
    public void Validate_DimAboveMax_ThrowsNamingOption()
    {
        var e = Assert.Throws<UserInputException>(() => SyntheticGenerator.Generate(_tmp.File("x"), Small() with { Dim = 513 }));
        Assert.Contains("--dim", e.Message);
    }

    private static string TextSha256(string gzipPath)
    {
        using var text = new GZipStream(File.OpenRead(gzipPath), CompressionMode.Decompress);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(text));
    }

    /// <summary>published.csv.gz as an array indexed by item id.</summary>
    private static long[] ReadPublished(string path)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        Assert.Equal("item_id,published_ms", reader.ReadLine());
        var rows = new List<(int Id, long Ms)>();
        while (reader.ReadLine() is string line)
        {
            var parts = line.Split(',');
            rows.Add((int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
        }
        Assert.Equal(Enumerable.Range(0, rows.Count), rows.Select(r => r.Id));
        return [.. rows.Select(r => r.Ms)];
    }
}

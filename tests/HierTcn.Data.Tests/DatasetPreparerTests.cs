using HierTcn.Data.Dataset;
using HierTcn.Data.Ingest;
using HierTcn.Data.Preparation;

namespace HierTcn.Data.Tests;

public sealed class DatasetPreparerTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private PreparedDataset PrepareFile(EventsCsv csv, PrepareOptions? options = null, string name = "d")
    {
        string input = _tmp.WriteText(name + ".csv", csv.ToString());
        string dir = _tmp.File(name);
        DatasetPreparer.Prepare(input, dir, options ?? new PrepareOptions());
        return PreparedDataset.Open(dir);
    }

    /// <summary>Users 100.. with 10 events each on item 1 (50 events, so item 1 always survives).</summary>
    private static EventsCsv Base(int users = 5)
    {
        var csv = new EventsCsv();
        for (int u = 0; u < users; u++)
        {
            csv.Many(100 + u, 1, 10);
        }
        return csv;
    }

    [Fact]
    public void Prepare_ItemWith49Events_Dropped_With50_Kept()
    {
        var csv = Base();
        // Item 2: 49 events over users 100..104 (kept users: they have >= 10 events of item 1 anyway).
        for (int i = 0; i < 49; i++)
        {
            csv.Add(100 + i % 5, 2, EventsCsv.T0 + 10_000_000 + i);
        }
        // Item 3: exactly 50.
        for (int i = 0; i < 50; i++)
        {
            csv.Add(100 + i % 5, 3, EventsCsv.T0 + 20_000_000 + i);
        }
        using var ds = PrepareFile(csv);
        Assert.Equal([1L, 3L], ds.ItemIds.ToArray());
        Assert.Equal(100, ds.EventCount);
        Assert.Equal(2, ds.Header.Counts.Items);
    }

    [Fact]
    public void Prepare_UserEventBounds_9And1001Dropped_10And1000Kept()
    {
        var csv = new EventsCsv().Many(1, 1, 9).Many(2, 1, 10).Many(3, 1, 1000).Many(4, 1, 1001);
        using var ds = PrepareFile(csv);
        Assert.Equal([2L, 3L], ds.UserIds.ToArray());
        Assert.Equal(1010, ds.EventCount);
    }

    [Fact]
    public void Prepare_UserFilter_CountsEventsAfterItemFilter()
    {
        // User 7 has 12 events, but 3 are on item 9 (3 events in all, dropped), leaving 9: the user goes.
        var csv = Base().Many(7, 1, 9).Many(7, 9, 3, EventsCsv.T0 + 50_000_000);
        using var ds = PrepareFile(csv);
        Assert.DoesNotContain(7L, ds.UserIds.ToArray());
        Assert.Equal(5, ds.UserCount);
    }

    [Fact]
    public void Prepare_SessionGap_ExactlyThirtyMinutesSameSession_OneMsMoreNewSession()
    {
        var csv = Base(4);
        long t = EventsCsv.T0 + 100_000_000;
        // User 200: 5 events, a gap of exactly 1,800,000 ms, 5 more, a gap of 1,800,001 ms, 5 more.
        for (int i = 0; i < 15; i++)
        {
            csv.Add(200, 1, t);
            t += i == 4 ? 1_800_000 : i == 9 ? 1_800_001 : 1000;
        }
        using var ds = PrepareFile(csv);
        int user = ds.UserIds.IndexOf(200L);
        var (s0, s1) = ds.UserSessionRange(user);
        Assert.Equal(2, s1 - s0);
        Assert.Equal(10, ds.SessionEvents[s0 + 1] - ds.SessionEvents[s0]);
        Assert.Equal(5, ds.SessionEvents[s0 + 2] - ds.SessionEvents[s0 + 1]);
    }

    [Fact]
    public void Prepare_UnsortedInput_OrderedByUserTimeThenInputOrder()
    {
        var csv = new EventsCsv();
        // 25 users x 10 events: items 10..14 get 50 events each. User 5's rows come last and in reverse time, with a
        // tie at T0 + 5 broken by input order.
        for (int u = 29; u >= 5; u--)
        {
            for (int k = 0; k < 10; k++)
            {
                csv.Add(u, 10 + (k % 5), EventsCsv.T0 + (u == 5 && k >= 8 ? 5 : 10 - k));
            }
        }
        using var ds = PrepareFile(csv);
        Assert.Equal(Enumerable.Range(5, 25).Select(u => (long)u).ToArray(), ds.UserIds.ToArray());
        var (start, end) = ds.UserEvents(0);
        var ts = ds.EventTimestamps[start..end].ToArray();
        Assert.Equal(ts.Order().ToArray(), ts);
        // Input rows for user 5: k=0..9 with ts 10,9,...,3 then 5,5 (k = 8, 9: items 13, 14 in that order).
        // Sorted: 3(k=7,item 12), 4(k=6,item 11), 5(k=5,item 10), 5(k=8,item 13), 5(k=9,item 14), 6(k=4,item 14), ...
        var items = ds.EventItems[start..end].ToArray().Select(i => ds.ItemIds[i]).ToArray();
        Assert.Equal([12L, 11L, 10L, 13L, 14L, 14L], items[..6]);
    }

    [Fact]
    public void Prepare_DuplicateRows_KeptAsSeparateEvents()
    {
        var csv = Base();
        csv.Add(100, 1, EventsCsv.T0).Add(100, 1, EventsCsv.T0);
        using var ds = PrepareFile(csv);
        Assert.Equal(52, ds.EventCount);
        Assert.Equal(12, ds.UserEvents(0).End - ds.UserEvents(0).Start);
    }

    [Fact]
    public void Prepare_ColdSplit_FollowsSplitMix64()
    {
        // Splits from an independent implementation of section 4: 0 validation, 1 train, 23 test, 31 validation, 32 test.
        var csv = new EventsCsv();
        long[] users = [0, 1, 23, 31, 32];
        foreach (long u in users)
        {
            csv.Many(u, 1, 10);
        }
        using var ds = PrepareFile(csv);
        byte[] expected = [(byte)DataSplit.Validation, (byte)DataSplit.Train, (byte)DataSplit.Test, (byte)DataSplit.Validation, (byte)DataSplit.Test];
        Assert.Equal(expected, ds.UserSplit.ToArray());
        Assert.Equal(expected.SelectMany(s => Enumerable.Repeat(s, 10)).ToArray(), ds.EventSplit.ToArray());
        Assert.Equal(2, ds.Header.SplitCounts["validation"].Users);
        Assert.Equal(20, ds.Header.SplitCounts["test"].Events);
        Assert.Equal("cold", ds.Header.Split);
    }

    [Fact]
    public void Prepare_WarmSplit_NearestRankPercentiles()
    {
        // 50 events with timestamps T0 + 1000 * k (k = 0..49, spread over 5 users); n - 1 = 49,
        // T1 = sorted[floor(0.8 * 49)] = sorted[39], T2 = sorted[floor(0.9 * 49)] = sorted[44].
        var csv = new EventsCsv();
        for (int k = 49; k >= 0; k--)
        {
            csv.Add(k % 5, 1, EventsCsv.T0 + 1000L * k);
        }
        using var ds = PrepareFile(csv, new PrepareOptions { Split = SplitKind.Warm });
        Assert.Equal(EventsCsv.T0 + 39_000, ds.Header.T1Ms);
        Assert.Equal(EventsCsv.T0 + 44_000, ds.Header.T2Ms);
        var ts = ds.EventTimestamps;
        for (int e = 0; e < ds.EventCount; e++)
        {
            long k = (ts[e] - EventsCsv.T0) / 1000;
            var expected = k < 39 ? DataSplit.Train : k < 44 ? DataSplit.Validation : DataSplit.Test;
            Assert.Equal((byte)expected, ds.EventSplit[e]);
        }
        Assert.All(ds.UserSplit.ToArray(), s => Assert.Equal(byte.MaxValue, s));
        Assert.Equal(39, ds.Header.SplitCounts["train"].Events);
        Assert.Equal(5, ds.Header.SplitCounts["validation"].Events);
        Assert.Equal(6, ds.Header.SplitCounts["test"].Events);
    }

    [Fact]
    public void Prepare_WarmSplit_SessionCountsInSplitOfFirstEvent()
    {
        // One user, 50 events a second apart: one session straddling T1 and T2 counts in train only.
        var csv = new EventsCsv();
        for (int k = 0; k < 50; k++)
        {
            csv.Add(1, 1, EventsCsv.T0 + 1000L * k);
        }
        using var ds = PrepareFile(csv, new PrepareOptions { Split = SplitKind.Warm });
        Assert.Equal(1, ds.SessionCount);
        Assert.Equal(1, ds.Header.SplitCounts["train"].Sessions);
        Assert.Equal(0, ds.Header.SplitCounts["test"].Sessions);
        Assert.Equal(1, ds.Header.SplitCounts["test"].Users);
    }

    [Fact]
    public void Prepare_CatalogFrom_MapsToParentIdsAndKeepsParentN()
    {
        // D0: items 5 and 8 survive (50 events each), item 6 does not (10 events).
        var d0 = new EventsCsv();
        for (int u = 0; u < 5; u++)
        {
            d0.Many(u, 5, 10).Many(u, 8, 10, EventsCsv.T0 + 10_000_000);
        }
        d0.Many(9, 6, 10);
        using var parent = PrepareFile(d0, name: "d0");
        Assert.Equal([5L, 8L], parent.ItemIds.ToArray());

        // D1: user 70 has 12 events on item 8 (few, but no 50-event filter in section 9) and 3 on item 6 (not in D0);
        // user 71 has 11 events, 2 on unknown item 99, leaving 9: dropped.
        var d1 = new EventsCsv().Many(70, 8, 12).Many(70, 6, 3, EventsCsv.T0 + 50_000_000).Many(71, 5, 9).Many(71, 99, 2, EventsCsv.T0 + 60_000_000);
        using var ds = PrepareFile(d1, new PrepareOptions { CatalogFrom = parent.Directory }, name: "d1");
        Assert.Equal("score", ds.Header.Split);
        Assert.Equal(SplitKind.Score, ds.Header.SplitKind);
        Assert.Equal(parent.Header.InputSha256, ds.Header.CatalogFromSha256);
        Assert.Equal(2, ds.Header.Counts.Items);
        Assert.Equal([5L, 8L], ds.ItemIds.ToArray());
        Assert.Equal([70L], ds.UserIds.ToArray());
        Assert.Equal(12, ds.EventCount);
        Assert.All(ds.EventItems.ToArray(), i => Assert.Equal(1, i));
        Assert.Equal((byte)DataSplit.Test, ds.UserSplit[0]);
        Assert.All(ds.EventSplit.ToArray(), s => Assert.Equal((byte)DataSplit.Test, s));
    }

    [Fact]
    public void Prepare_CatalogFromMissingDirectory_ThrowsNamingOption()
    {
        var e = Assert.Throws<UserInputException>(() => PrepareFile(Base(), new PrepareOptions { CatalogFrom = _tmp.File("none") }));
        Assert.Contains("--catalog-from", e.Message);
    }

    [Fact]
    public void Prepare_NothingSurvives_ThrowsClearMessage()
    {
        var e = Assert.Throws<UserInputException>(() => PrepareFile(new EventsCsv().Many(1, 1, 20)));
        Assert.Contains("no events survive", e.Message);
    }

    [Fact]
    public void Prepare_Impressions_DropUnknownIdsAndKeepClickedItem()
    {
        string path = _tmp.File("imp.csv");
        using (var w = new StreamWriter(path))
        {
            w.WriteLine("user_id,item_id,timestamp_ms,impressions");
            for (int k = 0; k < 50; k++)
            {
                // Item 2 has 50 events too; item 77 appears only in impressions; the last row's pool lacks its click.
                string pool = k == 49 ? "2 77" : "1 77 2";
                w.WriteLine($"{k % 5},{1 + k % 2},{EventsCsv.T0 + k * 1000L},{pool}");
                w.WriteLine($"{k % 5},{1 + (k + 1) % 2},{EventsCsv.T0 + k * 1000L + 1},1 2");
            }
        }
        string dir = _tmp.File("imp");
        DatasetPreparer.Prepare(path, dir, new PrepareOptions { Ingest = new EventIngestOptions { ImpressionsColumn = "impressions" } });
        using var ds = PreparedDataset.Open(dir);
        Assert.True(ds.HasImpressions);
        Assert.True(ds.Header.HasImpressions);
        Assert.Equal([1L, 2L], ds.ItemIds.ToArray());
        for (int e = 0; e < ds.EventCount; e++)
        {
            var pool = ds.Impressions(e).ToArray();
            Assert.Contains(ds.EventItems[e], pool);
            Assert.All(pool, i => Assert.InRange(i, 0, 1));
        }
    }

    [Fact]
    public void Prepare_ItemFeatures_StoredByDenseId()
    {
        var csv = Base().Many(100, 4, 50, EventsCsv.T0 + 90_000_000);
        string items = _tmp.WriteText("items.csv", "item_id,f0,f1\n4,0.5,-1\n1,2,3\n999,7,7\n");
        using var ds = PrepareFile(csv, new PrepareOptions { ItemsPath = items });
        Assert.Equal(2, ds.ItemFeatureDim);
        Assert.Equal(2, ds.Header.ItemFeatureDim);
        Assert.Equal([2f, 3f], ds.ItemFeatureVector(0).ToArray());
        Assert.Equal([0.5f, -1f], ds.ItemFeatureVector(1).ToArray());
    }

    [Fact]
    public void Prepare_ItemFeaturesMissingAnItem_ThrowsListingIt()
    {
        var csv = Base().Many(100, 4, 50, EventsCsv.T0 + 90_000_000);
        string items = _tmp.WriteText("items.csv", "item_id,f0\n1,2\n");
        var e = Assert.Throws<UserInputException>(() => PrepareFile(csv, new PrepareOptions { ItemsPath = items }));
        Assert.Contains("no features for 1 of the 2 catalogue items (e.g. items 4)", e.Message);
    }

    [Fact]
    public void Prepare_Header_RecordsIngestTimingAndCounts()
    {
        var csv = Base();
        string input = _tmp.WriteText("h.csv", csv + "bad,row,x\n");
        var header = DatasetPreparer.Prepare(input, _tmp.File("h"), new PrepareOptions());
        Assert.Equal(51, header.Ingest.RowsRead);
        Assert.Equal(1, header.Ingest.BadRows);
        Assert.Equal("h.csv", header.Name);
        Assert.Equal(64, header.InputSha256.Length);
        Assert.True(header.PrepareSeconds > 0);
        Assert.True(header.PreparePeakMemoryBytes > 0);
        Assert.Equal(new DatasetCounts { Users = 5, Items = 1, Events = 50, Sessions = 5 }, header.Counts);
        Assert.Equal(50, header.SplitCounts.Values.Sum(c => c.Events));
    }

    [Fact]
    public void Build_FromArrays_MatchesPreparedFile()
    {
        var csv = Base().Many(100, 2, 50, EventsCsv.T0 + 90_000_000);
        using var fromFile = PrepareFile(csv);
        var read = EventReader.Read(_tmp.File("d.csv"));
        var built = DatasetPreparer.Build(EventTable.FromArrays(read.Users.ToArray(), read.Items.ToArray(), read.Timestamps.ToArray()), new PrepareOptions());
        Assert.Equal(fromFile.EventItems.ToArray(), built.Arrays.EventItems);
        Assert.Equal(fromFile.SessionEvents.ToArray(), built.Arrays.SessionEvents);
        Assert.Equal(fromFile.UserSplit.ToArray(), built.Arrays.UserSplit);
        Assert.Equal(fromFile.Header.Counts, built.Header.Counts);
    }
}

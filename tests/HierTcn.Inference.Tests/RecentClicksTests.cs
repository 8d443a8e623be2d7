using HierTcn.Inference.Popularity;

namespace HierTcn.Inference.Tests;

/// <summary>The recent-click counter a prior model ranks by: its windows against counting every kept click afresh.</summary>
public sealed class RecentClicksTests
{
    /// <summary>Clicks arrive mostly in time order, some late (inserted before newer ones); requests ask at times around
    /// the newest, in any order, for two window lengths. Every answer equals the clicks counted from the list of all
    /// clicks, also after the retention has trimmed old ones (the requests stay within it).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void CountsAt_RandomStreamAndRequests_EqualCountingEveryClick(int seed)
    {
        const long retention = 5_000;
        long[] windows = [700, 2_000];
        var random = new Random(seed);
        var clicks = new RecentClicks(retention, capacity: 1_000_000);
        var all = new List<(long Time, long Item)>();
        long now = 1_000_000, newest = long.MinValue;
        int checks = 0;
        for (int step = 0; step < 6_000; step++)
        {
            if (random.Next(3) > 0)
            {
                now += random.Next(12);
                long time = random.Next(10) == 0 ? now - random.Next(1_500) : now;
                long item = random.Next(40) * 11 + 3;
                clicks.Add(item, time);
                all.Add((time, item));
                newest = Math.Max(newest, time);
            }
            else
            {
                long window = windows[random.Next(windows.Length)];
                // Within the retention (the counter keeps every click it could need); half of them live, just after the
                // newest click, so one window follows the stream across trims and compactions.
                long at = random.Next(2) == 0 ? newest + 1 - random.Next(20) : newest - random.Next((int)(retention - window)) + random.Next(50);
                var want = all.Where(c => c.Time >= at - window && c.Time < at).GroupBy(c => c.Item).ToDictionary(g => g.Key, g => g.Count());
                var have = clicks.CountsAt(at, window);
                Assert.Equal(want.OrderBy(p => p.Key), have.OrderBy(p => p.Key));
                checks++;
            }
        }
        Assert.True(checks > 1_000);
        Assert.True(clicks.Count < all.Count / 2, $"the retention kept {clicks.Count} of {all.Count} clicks");
        Assert.Equal(0, clicks.Dropped);
    }

    /// <summary>Above the capacity the oldest clicks go first and are counted as dropped.</summary>
    [Fact]
    public void Add_AboveCapacity_DropsTheOldestAndCountsThem()
    {
        var clicks = new RecentClicks(retentionMs: 1_000_000, capacity: 100);
        for (int i = 0; i < 150; i++)
        {
            clicks.Add(i % 7, 10_000 + i);
        }
        Assert.Equal(100, clicks.Count);
        Assert.Equal(50, clicks.Dropped);
        // Only the newest 100 (times 10,050 .. 10,149) are counted.
        var counts = clicks.CountsAt(20_000, 1_000_000);
        Assert.Equal(100, counts.Values.Sum());
        Assert.Equal(Enumerable.Range(50, 100).Count(i => i % 7 == 0), counts[0]);
    }

    /// <summary>Four threads add clicks while two ask for windows: nothing is lost or counted twice (the final windows
    /// equal counting every click), and no answer counts a click outside its window.</summary>
    [Fact]
    public async Task AddAndCountsAt_Concurrently_LoseNothing()
    {
        var clicks = new RecentClicks(retentionMs: 10_000_000, capacity: 1_000_000);
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            for (int i = 0; i < 20_000; i++)
            {
                clicks.Add(random.Next(50), 1_000_000 + random.Next(100_000));
            }
        })).ToArray();
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var random = new Random(100 + r);
            while (!writers.All(t => t.IsCompleted))
            {
                long at = 1_000_000 + random.Next(100_000);
                // Every click has an item below 50 and a time in [1,000,000, 1,100,000): a window before 1,000,000 is empty.
                Assert.Empty(clicks.CountsAt(1_000_000, 5_000));
                Assert.All(clicks.CountsAt(at, 5_000).Keys, item => Assert.InRange(item, 0, 49));
            }
        })).ToArray();
        await Task.WhenAll(writers.Concat(readers));
        Assert.Equal(80_000, clicks.Count);
        var all = Enumerable.Range(0, 4).SelectMany(w =>
        {
            var random = new Random(w);
            return Enumerable.Range(0, 20_000).Select(_ => (Item: (long)random.Next(50), Time: 1_000_000L + random.Next(100_000))).ToArray();
        }).ToArray();
        foreach (long at in new long[] { 1_030_000, 1_060_000, 1_100_000 })
        {
            var want = all.Where(c => c.Time >= at - 20_000 && c.Time < at).GroupBy(c => c.Item).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(want.OrderBy(p => p.Key), clicks.CountsAt(at, 20_000).OrderBy(p => p.Key));
        }
    }

    [Fact]
    public void Constructor_NonPositiveRetentionOrCapacity_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecentClicks(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecentClicks(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecentClicks(10, 10).CountsAt(5, 0));
    }

    /// <summary>A keyed click (user and event id) counts once, whatever order the same key comes in; the same event id of
    /// another user is another click; a click older than the retention behind the newest is not kept; a key is
    /// forgotten with its click (trimmed by time or by the capacity), so the set of keys stays bounded.</summary>
    [Fact]
    public void AddKeyed_SameUserAndEventId_CountsOnceAndKeysLeaveWithTheirClicks()
    {
        var clicks = new RecentClicks(retentionMs: 10_000, capacity: 3);
        ulong a = RecentClicks.KeyOf(1, "e1"), b = RecentClicks.KeyOf(2, "e1"), c = RecentClicks.KeyOf(1, "e2");
        Assert.NotEqual(a, b);
        Assert.Equal(a, RecentClicks.KeyOf(1, "e1"));
        Assert.Equal(ClickOutcome.Counted, clicks.Add(7, 1_000, a, out _));
        Assert.Equal(ClickOutcome.Duplicate, clicks.Add(7, 1_000, a, out _));
        // A duplicate is one by key, whatever its item and time say.
        Assert.Equal(ClickOutcome.Duplicate, clicks.Add(8, 2_000, a, out _));
        Assert.Equal(ClickOutcome.Counted, clicks.Add(7, 1_500, b, out _));
        Assert.Equal(new Dictionary<long, int> { [7] = 2 }, clicks.CountsAt(5_000, 5_000));
        // Unkeyed clicks (the old path) are never duplicates.
        clicks.Add(9, 1_600);
        Assert.Equal(3, clicks.Count);
        // The capacity drops the oldest (a, at 1,000): its key goes with it, so the event sent again counts again.
        Assert.Equal(ClickOutcome.Counted, clicks.Add(7, 1_700, c, out int dropped));
        Assert.Equal(1, dropped);
        Assert.Equal(ClickOutcome.Counted, clicks.Add(7, 1_000, a, out dropped));
        Assert.Equal(1, dropped);
        // The newest moves to 20,000: everything before 10,000 leaves, and a click from then is too old to keep.
        Assert.Equal(ClickOutcome.Counted, clicks.Add(5, 20_000, RecentClicks.KeyOf(3, "x"), out _));
        Assert.Equal(1, clicks.Count);
        Assert.Equal(ClickOutcome.TooOld, clicks.Add(7, 9_999, c, out _));
        Assert.Equal(ClickOutcome.Counted, clicks.Add(7, 10_000, c, out _));
        Assert.Empty(clicks.CountsAt(9_999, 5_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => clicks.Add(1, 20_000, 0, out _));
    }
}

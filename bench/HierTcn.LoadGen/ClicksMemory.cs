using System.Diagnostics;
using System.Globalization;
using HierTcn.Inference.Popularity;

namespace HierTcn.LoadGen;

/// <summary>
/// <c>loadgen clicks-memory [--clicks 4000000] [--keyed true|false]</c>: the memory one inference pod spends on the
/// recent-popularity prior's clicks (<see cref="RecentClicks"/>) at that many kept clicks (the default capacity), keyed by
/// (user, event id) as the engine adds them, or not: managed heap before and after, bytes per click, time per add (one
/// thread). Run it on a quiet machine (bench/RESULTS.md).
/// </summary>
internal static class ClicksMemory
{
    public static int Run(Dictionary<string, string> o)
    {
        int count = o.TryGetValue("clicks", out var c) ? int.Parse(c, CultureInfo.InvariantCulture) : 4_000_000;
        bool keyed = !o.TryGetValue("keyed", out var k) || bool.Parse(k);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var clicks = new RecentClicks(60 * 60_000L, count);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            // Two clicks a millisecond (7,200,000 an hour), on a Globo-sized catalogue, from 100,000 users.
            if (keyed)
                clicks.Add(i % 2521, 1_700_000_000_000 + i / 2, RecentClicks.KeyOf(i % 100_000, "e" + i.ToString(CultureInfo.InvariantCulture)), out _);
            else
                clicks.Add(i % 2521, 1_700_000_000_000 + i / 2);
        }
        double addNs = clock.Elapsed.TotalNanoseconds / count;
        long used = GC.GetTotalMemory(forceFullCollection: true) - before;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(keyed ? "keyed" : "unkeyed")}: {clicks.Count:N0} clicks kept, managed heap +{used / 1048576.0:F1} MiB, {used / (double)clicks.Count:F1} bytes a click; "
            + $"add {addNs:F0} ns (one thread, the event id's string included)"));
        GC.KeepAlive(clicks);
        return 0;
    }
}

using System.Diagnostics;
using System.Globalization;
using HierTcn.Inference.Online;

namespace HierTcn.LoadGen;

/// <summary>
/// <c>loadgen ab-memory [--users 1000000] [--list 20] [--seed 1]</c>: the memory one inference pod spends on the online
/// A/B metrics' remembered lists (<see cref="ShownLists"/>) with that many active users, each shown a list of that
/// many items: managed heap before and after allocating and filling the lists, bytes per user, and the time per
/// Remember and per Take (one thread). Run it on a quiet machine (bench/RESULTS.md).
/// </summary>
internal static class AbMemory
{
    public static int Run(Dictionary<string, string> o)
    {
        int users = o.TryGetValue("users", out var u) ? int.Parse(u, CultureInfo.InvariantCulture) : 1_000_000;
        int length = o.TryGetValue("list", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 20;
        var random = new Random(o.TryGetValue("seed", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : 1);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var lists = new ShownLists(users, length);
        long allocated = GC.GetTotalMemory(forceFullCollection: true) - before;
        var items = new long[length];
        long t0 = 1_700_000_000_000;
        var clock = Stopwatch.StartNew();
        for (int user = 0; user < users; user++)
        {
            for (int i = 0; i < length; i++)
                items[i] = random.NextInt64(1, 1_000_000);
            lists.Remember(user * 7919L, user % 2 == 0 ? "v1" : "v2", t0 + user, items);
        }
        double rememberNs = clock.Elapsed.TotalNanoseconds / users;
        long filled = GC.GetTotalMemory(forceFullCollection: true) - before;
        clock.Restart();
        int matched = 0;
        for (int user = 0; user < users; user++)
            matched += lists.Take(user * 7919L, t0 + user, 1, 1_800_000, out _, out _) == ShownOutcome.Matched ? 1 : 0;
        double takeNs = clock.Elapsed.TotalNanoseconds / users;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"users {users:N0}, list length {length}, slots {lists.Capacity:N0}: managed heap +{allocated / 1048576.0:F1} MiB allocated, "
            + $"+{filled / 1048576.0:F1} MiB filled, {filled / (double)users:F1} bytes per user; remember {rememberNs:F0} ns, take {takeNs:F0} ns "
            + $"(one thread); {matched:N0} users' lists still held when taken ({users - matched:N0} overwritten within their group of four)"));
        GC.KeepAlive(lists);
        return 0;
    }
}

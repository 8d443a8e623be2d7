using System.IO.Compression;
using System.Text;

namespace HierTcn.Data.Tests.CrossCheck;

/// <summary>
/// Writes small random event files full of the cases where a protocol implementation can go wrong: users with exactly
/// 9, 10, 11, 999, 1000 and 1001 surviving events, items with exactly 49 and 50 events, many items tied in popularity,
/// gaps of exactly 30 minutes (and one millisecond either side), equal timestamps, duplicate rows, rows in shuffled
/// order, an ignored extra column, columns in varying order, gzip or plain.
/// </summary>
internal static class NastyEventFile
{
    private const long Gap = 1_800_000;
    private const long Base = 1_600_000_000_000;

    /// <summary>Writes the file for <paramref name="seed"/>. With <paramref name="catalogueFrom"/> the file shares
    /// item ids with that seed's file (for section 9) and adds items outside it.</summary>
    public static void Write(string path, int seed, bool gzip, int? catalogueFrom = null)
    {
        var rng = new Random(seed);
        var core = ItemIds(catalogueFrom ?? seed, 20, 0);
        var fifty = ItemIds(catalogueFrom ?? seed, 10, 1);
        var fortyNine = ItemIds(catalogueFrom ?? seed, 4, 2);
        var unknown = ItemIds(seed, 5, 3);

        var lengths = new List<int> { 1000, 1001, 999 };
        int users = catalogueFrom is null ? 160 : 60;
        int[] edges = [9, 10, 11, 10, 10];
        for (int u = 0; u < users; u++)
        {
            lengths.Add(rng.Next(3) == 0 ? edges[rng.Next(edges.Length)] : rng.Next(12, 40));
        }
        // Slots for the 50-event items first, spread over users; the rest from skewed core items.
        var slots = lengths.Select(n => new long[n]).ToArray();
        var free = new List<(int U, int K)>();
        for (int u = 0; u < slots.Length; u++)
        {
            for (int k = 0; k < slots[u].Length; k++)
            {
                free.Add((u, k));
            }
        }
        Shuffle(free, rng);
        int next = 0;
        if (catalogueFrom is null)
        {
            foreach (long item in fifty)
            {
                for (int c = 0; c < 50; c++)
                {
                    var (u, k) = free[next++];
                    slots[u][k] = item;
                }
            }
        }
        int coreWeights = Enumerable.Range(5, core.Length).Sum();
        for (; next < free.Count; next++)
        {
            int pick = rng.Next(coreWeights);
            int i = 0;
            while (pick >= i + 5)
            {
                pick -= i + 5;
                i++;
            }
            var (u, k) = free[next];
            slots[u][k] = core[i];
        }

        var userIds = new HashSet<long>();
        var rows = new List<(long User, long Item, long Ts)>();
        for (int u = 0; u < slots.Length; u++)
        {
            long user = u == 0 ? long.MaxValue : rng.NextInt64(0, 1L << 40);
            if (!userIds.Add(user))
            {
                continue;
            }
            long ts = Base + rng.NextInt64(0, 20L * 86_400_000);
            for (int k = 0; k < slots[u].Length; k++)
            {
                int kind = rng.Next(12);
                if (k > 0 && kind == 0 && core.Contains(slots[u][k]) && core.Contains(slots[u][k - 1]))
                {
                    // Duplicate row: same item, same time. Only core items change hands, so the 50-event items and
                    // the user's length stay exact.
                    slots[u][k] = slots[u][k - 1];
                }
                else if (k > 0)
                {
                    ts += kind switch
                    {
                        1 => Gap,
                        2 => Gap + 1,
                        3 => Gap - 1,
                        4 => 0,
                        5 => rng.NextInt64(Gap, 3 * 86_400_000),
                        _ => rng.NextInt64(1_000, 600_000),
                    };
                }
                rows.Add((user, slots[u][k], ts));
            }
            if (catalogueFrom is not null && rng.Next(4) == 0)
            {
                rows.Add((user, unknown[rng.Next(unknown.Length)], ts + 1));
            }
        }
        var victims = rows.Where(r => r.User != long.MaxValue).ToArray();
        foreach (long item in fortyNine)
        {
            for (int c = 0; c < 49; c++)
            {
                var v = victims[rng.Next(victims.Length)];
                rows.Add((v.User, item, v.Ts + rng.NextInt64(-Gap, Gap)));
            }
        }
        Shuffle(rows, rng);

        bool itemFirst = rng.Next(2) == 0;
        var sb = new StringBuilder(itemFirst ? "session_id,item_id,timestamp_ms,user_id\n" : "user_id,session_id,timestamp_ms,item_id\n");
        foreach (var (user, item, ts) in rows)
        {
            long session = rng.Next(1000);
            sb.Append(itemFirst ? $"{session},{item},{ts},{user}\n" : $"{user},{session},{ts},{item}\n");
        }
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        using var file = File.Create(path);
        if (gzip)
        {
            using var z = new GZipStream(file, CompressionLevel.Fastest);
            z.Write(bytes);
        }
        else
        {
            file.Write(bytes);
        }
    }

    private static long[] ItemIds(int seed, int count, int group)
    {
        var rng = new Random(seed * 31 + group);
        return [.. Enumerable.Range(0, count).Select(i => group * 1_000_000L + i * 1000L + rng.Next(1000))];
    }

    private static void Shuffle<T>(List<T> list, Random rng)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}

using HierTcn.Data.Dataset;

namespace HierTcn.Benchmarks;

/// <summary>Writes a cold-split dataset of test users with random items, for benchmarks.</summary>
public static class SyntheticDataset
{
    /// <summary><paramref name="users"/> test users with <paramref name="eventsPerUser"/> events each (one session) over
    /// <paramref name="items"/> items, in <paramref name="directory"/>.</summary>
    public static void Write(string directory, int items, int users, int eventsPerUser, int seed)
    {
        var rng = new Random(seed);
        int events = users * eventsPerUser;
        var arrays = new DatasetArrays
        {
            ItemIds = [.. Enumerable.Range(0, items).Select(i => (long)i)],
            UserIds = [.. Enumerable.Range(0, users).Select(u => (long)u)],
            UserSplit = [.. Enumerable.Repeat((byte)DataSplit.Test, users)],
            UserSessions = [.. Enumerable.Range(0, users + 1)],
            SessionEvents = [.. Enumerable.Range(0, users + 1).Select(u => u * eventsPerUser)],
            EventItems = [.. Enumerable.Range(0, events).Select(_ => rng.Next(items))],
            EventTimestamps = [.. Enumerable.Range(0, events).Select(e => 1_600_000_000_000L + e * 60_000L)],
            EventSplit = [.. Enumerable.Repeat((byte)DataSplit.Test, events)],
        };
        var header = new DatasetHeader
        {
            Name = $"synthetic-{items}",
            Counts = new DatasetCounts { Users = users, Items = items, Events = events, Sessions = users },
        };
        DatasetWriter.Write(directory, header, arrays);
    }
}

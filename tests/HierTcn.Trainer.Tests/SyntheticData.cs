using HierTcn.Data.Dataset;

namespace HierTcn.Trainer.Tests;

/// <summary>Writes small prepared datasets with a known structure (DatasetWriter, cold split by a fixed pattern).</summary>
internal static class SyntheticData
{
    /// <summary>Users given as sessions of item ids; user u's split is <paramref name="split"/>(u).</summary>
    public static PreparedDataset Write(string dir, IReadOnlyList<int[][]> users, int items, Func<int, DataSplit>? split = null,
        float[]? features = null, int featureDim = 0, Func<int, int[]>? shownWith = null)
    {
        split ??= _ => DataSplit.Train;
        var userSessions = new List<int> { 0 };
        var sessionEvents = new List<int> { 0 };
        var eventItems = new List<int>();
        var ts = new List<long>();
        var eventSplit = new List<byte>();
        var userSplit = new List<byte>();
        var splitCounts = new Dictionary<string, DatasetCounts>();
        for (int u = 0; u < users.Count; u++)
        {
            long t = 1_000_000L * u;
            byte sp = (byte)split(u);
            userSplit.Add(sp);
            foreach (int[] session in users[u])
            {
                t += 3_600_000;                                  // sessions an hour apart: the 30-minute rule splits them
                foreach (int item in session)
                {
                    eventItems.Add(item);
                    ts.Add(t += 60_000);
                    eventSplit.Add(sp);
                }
                sessionEvents.Add(eventItems.Count);
            }
            userSessions.Add(sessionEvents.Count - 1);
        }
        var arrays = new DatasetArrays
        {
            ItemIds = [.. Enumerable.Range(0, items).Select(i => (long)i * 10)],
            UserIds = [.. Enumerable.Range(0, users.Count).Select(u => (long)u)],
            UserSplit = [.. userSplit],
            UserSessions = [.. userSessions],
            SessionEvents = [.. sessionEvents],
            EventItems = [.. eventItems],
            EventTimestamps = [.. ts],
            EventSplit = [.. eventSplit],
            ItemFeatures = features,
            ItemFeatureDim = featureDim,
        };
        if (shownWith is not null)
        {
            var offsets = new List<long> { 0 };
            var shown = new List<int>();
            foreach (int item in eventItems)
            {
                shown.AddRange(shownWith(item));
                offsets.Add(shown.Count);
            }
            arrays = arrays with
            {
                ItemFeatures = features,
                ItemFeatureDim = featureDim,
                ImpressionOffsets = [.. offsets],
                ImpressionItems = [.. shown],
            };
        }
        var header = new DatasetHeader
        {
            Name = "synthetic",
            InputSha256 = new string('0', 64),
            Counts = new DatasetCounts { Users = users.Count, Items = items, Events = eventItems.Count, Sessions = sessionEvents.Count - 1 },
            SplitCounts = splitCounts,
            CreatedUtc = DateTime.UnixEpoch,
        };
        DatasetWriter.Write(dir, header, arrays);
        return PreparedDataset.Open(dir);
    }

    /// <summary>
    /// Users whose sessions walk the catalogue: every user has a personal stride (1, 2 or 3) and each session starts
    /// where the previous one ended, so the next item is a function of the previous item and the user, and the
    /// first item of a session of the previous session. A popularity model cannot see any of it.
    /// </summary>
    public static List<int[][]> Walks(int userCount, int items, int seed)
    {
        var rng = new Random(seed);
        var users = new List<int[][]>();
        for (int u = 0; u < userCount; u++)
        {
            int stride = 1 + u % 3;
            int item = rng.Next(items);
            int sessions = 2 + rng.Next(3);
            var list = new int[sessions][];
            for (int s = 0; s < sessions; s++)
            {
                list[s] = new int[3 + rng.Next(5)];
                for (int p = 0; p < list[s].Length; p++)
                {
                    list[s][p] = item;
                    item = (item + stride) % items;
                }
            }
            users.Add(list);
        }
        return users;
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hiertcn-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

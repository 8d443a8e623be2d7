using HierTcn.Data.Dataset;
using HierTcn.Formats;

namespace HierTcn.Data.Tests.Evaluation;

/// <summary>One user's events for <see cref="TestDatasets"/>: dense item ids and timestamps in time order.</summary>
internal sealed record TestUser(long Id, DataSplit Split, params (int Item, long Ts)[] Events)
{
    /// <summary>Candidate pools per event (same length as <see cref="Events"/>) or null.</summary>
    public int[][]? Pools { get; init; }
}

/// <summary>Builds small prepared datasets directly from arrays, so the harness and baselines can be tested on cases
/// whose answers are worked out by hand.</summary>
internal sealed class TestDatasets : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hiertcn-eval-" + Guid.NewGuid().ToString("N"));
    private int _next;

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>A cold (or score) dataset: each user's split as given, sessions by the 30-minute rule.</summary>
    public PreparedDataset Cold(int items, IReadOnlyList<TestUser> users, string kind = "cold", string sha = "abc") =>
        Write(items, users, kind, sha, t1: null, t2: null);

    /// <summary>A warm dataset: event splits from <paramref name="t1"/> and <paramref name="t2"/>.</summary>
    public PreparedDataset Warm(int items, IReadOnlyList<TestUser> users, long t1, long t2) =>
        Write(items, users, "warm", "abc", t1, t2);

    private PreparedDataset Write(int items, IReadOnlyList<TestUser> users, string kind, string sha, long? t1, long? t2)
    {
        var rule = SessionRule.Default;
        var userSessions = new List<int> { 0 };
        var sessionEvents = new List<int> { 0 };
        var eventItems = new List<int>();
        var eventTs = new List<long>();
        var eventSplit = new List<byte>();
        var impOffsets = new List<long> { 0 };
        var impItems = new List<int>();
        bool pools = users.Any(u => u.Pools is not null);
        foreach (var u in users)
        {
            for (int i = 0; i < u.Events.Length; i++)
            {
                var (item, ts) = u.Events[i];
                if (i > 0 && rule.StartsNewSession(u.Events[i - 1].Ts, ts))
                {
                    sessionEvents.Add(eventItems.Count);
                }
                eventItems.Add(item);
                eventTs.Add(ts);
                eventSplit.Add(t1 is null ? (byte)u.Split : ts < t1 ? (byte)0 : ts < t2 ? (byte)1 : (byte)2);
                if (pools)
                {
                    impItems.AddRange(u.Pools?[i] ?? []);
                    impOffsets.Add(impItems.Count);
                }
            }
            sessionEvents.Add(eventItems.Count);
            userSessions.Add(sessionEvents.Count - 1);
        }
        var arrays = new DatasetArrays
        {
            ItemIds = [.. Enumerable.Range(0, items).Select(i => 1000L + i)],
            UserIds = [.. users.Select(u => u.Id)],
            UserSplit = [.. users.Select(u => t1 is null ? (byte)u.Split : (byte)255)],
            UserSessions = [.. userSessions],
            SessionEvents = [.. sessionEvents],
            EventItems = [.. eventItems],
            EventTimestamps = [.. eventTs],
            EventSplit = [.. eventSplit],
            ImpressionOffsets = pools ? [.. impOffsets] : null,
            ImpressionItems = pools ? [.. impItems] : null,
        };
        var header = new DatasetHeader
        {
            Name = "test",
            InputSha256 = sha,
            Split = kind,
            T1Ms = t1,
            T2Ms = t2,
            Counts = new DatasetCounts { Users = users.Count, Items = items, Events = eventItems.Count, Sessions = sessionEvents.Count - 1 },
        };
        string dir = Path.Combine(_root, (_next++).ToString());
        DatasetWriter.Write(dir, header, arrays);
        return PreparedDataset.Open(dir);
    }
}

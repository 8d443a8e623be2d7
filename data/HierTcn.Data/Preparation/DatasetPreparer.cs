using System.Diagnostics;
using System.Runtime.InteropServices;
using HierTcn.Data.Dataset;
using HierTcn.Data.Ingest;
using HierTcn.Data.Preparation.Internal;
using HierTcn.Formats;

namespace HierTcn.Data.Preparation;

/// <summary>
/// Prepares events per PROTOCOL.md: sort (user, timestamp, input order), the item filter (fewer than 50 events in the
/// whole input: dropped), then the user filter (fewer than 10 or more than 1000 remaining events: dropped), 30-minute
/// sessions (<see cref="SessionRule"/>), and the cold (section 4), warm (section 5) or score (section 9) split.
/// Items get dense ids in ascending order of their external ids; users are stored in ascending id order.
/// <para>Per-split counts: a user counts in every split it has an event in; a session counts in the split of its
/// first event (it matters only for the warm split, where a session can straddle T1 or T2); items are the distinct
/// items of the split's events. The overall item count is the catalogue size N.</para>
/// <para>Impressions: ids not in the catalogue are dropped from each event's pool; the clicked item is always in its
/// own pool (appended when the file's pool lacks it).</para>
/// </summary>
public static class DatasetPreparer
{
    /// <summary>Protocol constants (PROTOCOL.md section 2).</summary>
    public const int MinItemEvents = 50;
    public const int MinUserEvents = 10;
    public const int MaxUserEvents = 1000;

    /// <summary>Reads <paramref name="inputPath"/>, prepares it and writes the dataset to <paramref name="outputDirectory"/>
    /// atomically. Returns the header as written. Throws <see cref="UserInputException"/> for bad input (see
    /// <see cref="EventReader.Read"/>) and when no events survive the filters.</summary>
    public static DatasetHeader Prepare(string inputPath, string outputDirectory, PrepareOptions options, IProgress<PrepareProgress>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var ingestProgress = progress is null ? null : new Progress(progress, "ingest");
        var events = EventReader.Read(inputPath, options.Ingest, ingestProgress);
        // The columns grew by doubling; the outgrown arrays are large-object garbage that would otherwise stay
        // mapped through preparation's own allocations (measured at 60M rows: 3.4 GiB peak instead of 4.1).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        var result = Build(events, options, progress);
        var header = result.Header with
        {
            Name = options.Name ?? Path.GetFileName(inputPath),
            InputPath = Path.GetFullPath(inputPath),
            PrepareSeconds = clock.Elapsed.TotalSeconds,
            PreparePeakMemoryBytes = PeakMemoryBytes(),
        };
        progress?.Report(new PrepareProgress("write", 0));
        var written = DatasetWriter.Write(outputDirectory, header, result.Arrays);
        progress?.Report(new PrepareProgress("write", 1));
        return written;
    }

    /// <summary>Prepares events already in memory (the header's name, path and timing are left for the caller).</summary>
    public static PreparationResult Build(EventTable events, PrepareOptions options, IProgress<PrepareProgress>? progress = null)
    {
        var parent = options.CatalogFrom is null ? null : ParentCatalogue.Load(options.CatalogFrom);
        var kind = parent is not null ? SplitKind.Score : options.Split;
        if (kind == SplitKind.Score && options.CatalogFrom is null)
        {
            throw new UserInputException("the score split needs --catalog-from (the dataset whose catalogue it uses)");
        }

        progress?.Report(new PrepareProgress("filter", 0));
        int[] order = KeepItems(events, parent);
        progress?.Report(new PrepareProgress("sort", 0));
        EventOrder.Sort(order, events.UserArray, events.TimestampArray);
        order = KeepUsers(order, events.Users);
        if (order.Length == 0)
        {
            throw new UserInputException(parent is null
                ? $"no events survive the protocol's filters ({events.Count} events; items need >= {MinItemEvents} events, users {MinUserEvents}..{MaxUserEvents})"
                : $"no events survive section 9: none of {events.Count} events both has an item in the catalogue of {options.CatalogFrom} and belongs to a user with {MinUserEvents}..{MaxUserEvents} such events");
        }

        progress?.Report(new PrepareProgress("sessions", 0));
        var (itemIds, denseIds) = parent is null ? Catalogue(order, events.Items) : (parent.ItemIds, parent.DenseIds);
        var arrays = Layout(events, order, itemIds, denseIds, kind, out long? t1, out long? t2);
        if (options.ItemsPath is not null)
        {
            var featureProgress = progress is null ? null : new Progress(progress, "features");
            var (features, dim) = ItemFeatureReader.Read(options.ItemsPath, options.Ingest.ItemColumn, denseIds, featureProgress);
            arrays = WithFeatures(arrays, features, dim);
        }
        else if (parent?.Features is not null)
        {
            arrays = WithFeatures(arrays, parent.Features, parent.FeatureDim);
        }

        var header = new DatasetHeader
        {
            InputSha256 = events.InputSha256,
            Split = kind switch { SplitKind.Cold => "cold", SplitKind.Warm => "warm", _ => "score" },
            CatalogFromSha256 = parent?.InputSha256,
            SessionGapMs = SessionRule.DefaultGapMs,
            MinItemEvents = MinItemEvents,
            MinUserEvents = MinUserEvents,
            MaxUserEvents = MaxUserEvents,
            T1Ms = t1,
            T2Ms = t2,
            HasImpressions = arrays.ImpressionOffsets is not null,
            ItemFeatureDim = arrays.ItemFeatures is null ? 0 : arrays.ItemFeatureDim,
            Counts = new DatasetCounts
            {
                Users = arrays.UserIds.Length,
                Items = arrays.ItemIds.Length,
                Events = arrays.EventItems.Length,
                Sessions = arrays.SessionEvents.Length - 1,
            },
            SplitCounts = SplitCounter.Count(arrays),
            Ingest = events.Summary,
            CreatedUtc = DateTime.UtcNow,
        };
        return new PreparationResult { Header = header, Arrays = arrays };
    }

    /// <summary>Peak resident memory of this process so far (VmHWM on Linux).</summary>
    public static long PeakMemoryBytes()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    /// <summary>Indices of the events whose item passes: at least 50 events in the whole input, or, for section 9,
    /// in the parent's catalogue. Ascending, so input order is kept.</summary>
    private static int[] KeepItems(EventTable events, ParentCatalogue? parent)
    {
        var items = events.Items;
        Func<long, bool> keep;
        if (parent is null)
        {
            var counts = new Dictionary<long, int>();
            foreach (long item in items)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(counts, item, out _)++;
            }
            keep = item => counts[item] >= MinItemEvents;
        }
        else
        {
            keep = parent.DenseIds.ContainsKey;
        }
        // Two passes, so the index array is allocated once at its final size.
        int count = 0;
        foreach (long item in items)
        {
            count += keep(item) ? 1 : 0;
        }
        var kept = new int[count];
        for (int i = 0, k = 0; i < items.Length; i++)
        {
            if (keep(items[i]))
            {
                kept[k++] = i;
            }
        }
        return kept;
    }

    /// <summary>Drops the users of sorted <paramref name="order"/> with fewer than 10 or more than 1000 events.</summary>
    private static int[] KeepUsers(int[] order, ReadOnlySpan<long> users)
    {
        int write = 0;
        for (int start = 0; start < order.Length;)
        {
            int end = start + 1;
            while (end < order.Length && users[order[end]] == users[order[start]])
            {
                end++;
            }
            int n = end - start;
            if (n is >= MinUserEvents and <= MaxUserEvents)
            {
                Array.Copy(order, start, order, write, n);
                write += n;
            }
            start = end;
        }
        Array.Resize(ref order, write);
        return order;
    }

    /// <summary>The items of the surviving events, ascending, and their dense ids.</summary>
    private static (long[] ItemIds, Dictionary<long, int> DenseIds) Catalogue(int[] order, ReadOnlySpan<long> items)
    {
        var set = new HashSet<long>();
        foreach (int e in order)
        {
            set.Add(items[e]);
        }
        long[] ids = [.. set];
        Array.Sort(ids);
        var map = new Dictionary<long, int>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            map[ids[i]] = i;
        }
        return (ids, map);
    }

    private static DatasetArrays Layout(EventTable events, int[] order, long[] itemIds, Dictionary<long, int> denseIds,
        SplitKind kind, out long? t1, out long? t2)
    {
        var users = events.Users;
        var items = events.Items;
        var times = events.Timestamps;
        int n = order.Length;
        var eventItems = new int[n];
        var eventTs = new long[n];
        var eventSplit = new byte[n];
        var userIds = new List<long>();
        var userSessions = new List<int> { 0 };
        var sessionEvents = new List<int> { 0 };
        var userSplit = new List<byte>();
        var rule = SessionRule.Default;

        t1 = t2 = null;
        if (kind == SplitKind.Warm)
        {
            var sorted = new long[n];
            for (int i = 0; i < n; i++)
            {
                sorted[i] = times[order[i]];
            }
            Array.Sort(sorted);
            // Nearest rank: index floor(q * (n - 1)), in integers (the same as in doubles for q = 0.8 and 0.9).
            t1 = sorted[(long)(n - 1) * 8 / 10];
            t2 = sorted[(long)(n - 1) * 9 / 10];
        }

        byte currentUserSplit = 0;
        for (int i = 0; i < n; i++)
        {
            int e = order[i];
            bool newUser = i == 0 || users[e] != users[order[i - 1]];
            if (newUser)
            {
                if (i > 0)
                {
                    sessionEvents.Add(i);
                    userSessions.Add(sessionEvents.Count - 1);
                }
                userIds.Add(users[e]);
                currentUserSplit = kind switch
                {
                    SplitKind.Cold => (byte)ColdSplit(users[e]),
                    SplitKind.Score => (byte)DataSplit.Test,
                    _ => byte.MaxValue,
                };
                userSplit.Add(currentUserSplit);
            }
            else if (rule.StartsNewSession(times[order[i - 1]], times[e]))
            {
                sessionEvents.Add(i);
            }
            eventItems[i] = denseIds[items[e]];
            eventTs[i] = times[e];
            eventSplit[i] = kind == SplitKind.Warm
                ? (byte)(times[e] < t1 ? DataSplit.Train : times[e] < t2 ? DataSplit.Validation : DataSplit.Test)
                : currentUserSplit;
        }
        sessionEvents.Add(n);
        userSessions.Add(sessionEvents.Count - 1);

        var (impOffsets, impItems) = events.HasImpressions ? Impressions(events, order, eventItems, denseIds) : (null, null);
        return new DatasetArrays
        {
            ItemIds = itemIds,
            UserIds = [.. userIds],
            UserSplit = [.. userSplit],
            UserSessions = [.. userSessions],
            SessionEvents = [.. sessionEvents],
            EventItems = eventItems,
            EventTimestamps = eventTs,
            EventSplit = eventSplit,
            ImpressionOffsets = impOffsets,
            ImpressionItems = impItems,
        };
    }

    /// <summary>PROTOCOL.md section 4: the user's split from splitmix64 of its id.</summary>
    public static DataSplit ColdSplit(long userId)
    {
        double f = SplitMix64.UnitInterval((ulong)userId);
        return f < 0.8 ? DataSplit.Train : f < 0.9 ? DataSplit.Validation : DataSplit.Test;
    }

    private static (long[], int[]) Impressions(EventTable events, int[] order, int[] eventItems, Dictionary<long, int> denseIds)
    {
        var offsets = new long[order.Length + 1];
        var pool = new List<int>();
        for (int i = 0; i < order.Length; i++)
        {
            bool clicked = false;
            foreach (long id in events.Impressions(order[i]))
            {
                if (denseIds.TryGetValue(id, out int dense))
                {
                    pool.Add(dense);
                    clicked |= dense == eventItems[i];
                }
            }
            if (!clicked)
            {
                pool.Add(eventItems[i]);
            }
            offsets[i + 1] = pool.Count;
        }
        return (offsets, [.. pool]);
    }

    private static DatasetArrays WithFeatures(DatasetArrays a, float[] features, int dim) =>
        a with { ItemFeatures = features, ItemFeatureDim = dim };

    private sealed class Progress(IProgress<PrepareProgress> inner, string stage) : IProgress<double>
    {
        public void Report(double value) => inner.Report(new PrepareProgress(stage, value));
    }
}

using HierTcn.Data.Dataset;

namespace HierTcn.Data.Baselines.Internal;

/// <summary>Which events a baseline may learn from: in a cold split every event of the training users, in a warm split
/// the events before T1 (a prefix of each user's events, since they are in time order).</summary>
internal static class TrainingRanges
{
    /// <summary>Per user, the [Start, End) global event range of its training events (empty when none).</summary>
    public static (int Start, int End)[] Of(PreparedDataset data)
    {
        var kind = data.Header.SplitKind;
        if (kind == SplitKind.Score)
        {
            throw new UserInputException(
                $"{data.Directory}: a dataset prepared with --catalog-from has no training split; fit on the dataset it "
                + "takes its catalogue from and pass this one to --score.");
        }
        var ranges = new (int, int)[data.UserCount];
        var userSplit = data.UserSplit;
        var eventSplit = data.EventSplit;
        for (int u = 0; u < data.UserCount; u++)
        {
            var (start, end) = data.UserEvents(u);
            if (kind == SplitKind.Cold)
            {
                ranges[u] = userSplit[u] == (byte)DataSplit.Train ? (start, end) : (start, start);
            }
            else
            {
                int e = start;
                while (e < end && eventSplit[e] == (byte)DataSplit.Train)
                {
                    e++;
                }
                ranges[u] = (start, e);
            }
        }
        return ranges;
    }

    /// <summary>Training events per item.</summary>
    public static long[] ItemCounts(PreparedDataset data, (int Start, int End)[] ranges)
    {
        var counts = new long[data.ItemCount];
        var items = data.EventItems;
        foreach (var (start, end) in ranges)
        {
            for (int e = start; e < end; e++)
            {
                counts[items[e]]++;
            }
        }
        return counts;
    }

    /// <summary>Popularity as a tie-breaker strictly inside [0, 1): count / (max count + 1).</summary>
    public static float[] TieBreak(long[] counts)
    {
        long max = counts.Length == 0 ? 0 : counts.Max();
        var tie = new float[counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            tie[i] = (float)((double)counts[i] / (max + 1));
        }
        return tie;
    }

    /// <summary>Throws when <paramref name="data"/> does not share the catalogue size the model was fitted with.</summary>
    public static void CheckCatalogue(PreparedDataset data, int items, string model)
    {
        if (data.ItemCount != items)
        {
            throw new UserInputException(
                $"{data.Directory}: catalogue of {data.ItemCount} items, but the {model} model was fitted on {items}; "
                + "score datasets must be prepared with --catalog-from the training dataset.");
        }
    }
}

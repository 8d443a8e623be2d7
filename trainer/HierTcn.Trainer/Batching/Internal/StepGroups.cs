namespace HierTcn.Trainer.Batching.Internal;

/// <summary>Groups consecutive batches into optimizer steps so that every step trains on at least a minimum number of
/// scored events: a batch with fewer joins the next ones (gradients accumulate), and a short last group joins the one
/// before it.</summary>
internal static class StepGroups
{
    /// <summary>For each batch (scored events <paramref name="counts"/>, in order): whether the optimizer steps after
    /// it, and the scored events of its step.</summary>
    public static (bool StepAfter, long GroupEvents)[] Assign(IReadOnlyList<long> counts, long minimum)
    {
        int n = counts.Count;
        var result = new (bool, long)[n];
        var ends = new List<int>();
        long acc = 0;
        for (int i = 0; i < n; i++)
        {
            acc += counts[i];
            if (acc >= minimum)
            {
                ends.Add(i);
                acc = 0;
            }
        }
        if (n > 0 && (ends.Count == 0 || ends[^1] != n - 1))
        {
            if (ends.Count > 0)
            {
                ends.RemoveAt(ends.Count - 1);      // the short tail joins the group before it
            }
            ends.Add(n - 1);
        }
        int start = 0;
        foreach (int end in ends)
        {
            long total = 0;
            for (int i = start; i <= end; i++)
            {
                total += counts[i];
            }
            for (int i = start; i <= end; i++)
            {
                result[i] = (i == end, total);
            }
            start = end + 1;
        }
        return result;
    }
}

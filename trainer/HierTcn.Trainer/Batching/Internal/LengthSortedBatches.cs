namespace HierTcn.Trainer.Batching.Internal;

/// <summary>Cuts users into batches of similar size: sorted by <c>size</c> (ties in the seeded random order of
/// <see cref="SessionQueueBatcher.Shuffled"/>), cut into batches of B, a last batch of fewer than B/2 users joined to
/// the one before, batch order shuffled (seeded by seed ^ <c>salt</c>).</summary>
internal static class LengthSortedBatches
{
    public static List<int[]> Plan(int users, Func<int, long> size, int batchSize, int seed, int salt)
    {
        int[] order = SessionQueueBatcher.Shuffled(users, seed);
        int[] sorted = [.. order.OrderBy(size)];      // stable: equal sizes keep the shuffled order
        var batches = new List<int[]>();
        for (int first = 0; first < sorted.Length; first += batchSize)
        {
            batches.Add(sorted[first..Math.Min(sorted.Length, first + batchSize)]);
        }
        if (batches.Count > 1 && batches[^1].Length * 2 < batchSize)
        {
            batches[^2] = [.. batches[^2], .. batches[^1]];
            batches.RemoveAt(batches.Count - 1);
        }
        new Random(seed ^ salt).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }
}

namespace HierTcn.Data.Preparation.Internal;

/// <summary>PROTOCOL.md section 1: events ordered by user, then timestamp, then input order.</summary>
internal static class EventOrder
{
    /// <summary>Sorts <paramref name="order"/> (event indices, ascending on entry) in place. Input already in protocol
    /// order (the common case) is detected in one pass and left alone.</summary>
    public static void Sort(int[] order, long[] users, long[] timestamps)
    {
        var comparer = new Comparer(users, timestamps);
        bool sorted = true;
        for (int i = 1; i < order.Length && sorted; i++)
        {
            sorted = comparer.Compare(order[i - 1], order[i]) < 0;
        }
        if (!sorted)
        {
            order.AsSpan().Sort(comparer);
        }
    }

    private readonly struct Comparer(long[] users, long[] timestamps) : IComparer<int>
    {
        // The index breaks ties, which makes an unstable sort stable.
        public int Compare(int a, int b)
        {
            int c = users[a].CompareTo(users[b]);
            if (c != 0)
            {
                return c;
            }
            c = timestamps[a].CompareTo(timestamps[b]);
            return c != 0 ? c : a.CompareTo(b);
        }
    }
}

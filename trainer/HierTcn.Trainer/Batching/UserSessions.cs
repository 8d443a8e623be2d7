using HierTcn.Data.Dataset;

namespace HierTcn.Trainer.Batching;

/// <summary>The sessions of the users in one split, as event ranges, read once from a prepared dataset. In the cold
/// split a user's events all share the user's split; in the warm split a session keeps only its events of the split
/// (a session that straddles a boundary is cut there).</summary>
public sealed class UserSessions
{
    private UserSessions(int[] users, int[] userOffsets, int[] sessionStart, int[] sessionEnd)
    {
        Users = users;
        UserOffsets = userOffsets;
        SessionStart = sessionStart;
        SessionEnd = sessionEnd;
    }

    /// <summary>Dataset user indices that have at least one session in the split.</summary>
    public int[] Users { get; }
    /// <summary>[Users.Length + 1] offsets into the session arrays.</summary>
    public int[] UserOffsets { get; }
    /// <summary>First global event index of each session.</summary>
    public int[] SessionStart { get; }
    /// <summary>One past the last global event index of each session.</summary>
    public int[] SessionEnd { get; }

    public int SessionCount => SessionStart.Length;

    public long EventCount
    {
        get
        {
            long n = 0;
            for (int s = 0; s < SessionStart.Length; s++)
            {
                n += SessionEnd[s] - SessionStart[s];
            }
            return n;
        }
    }

    /// <summary>The sessions of the <paramref name="split"/>'s events, users in dataset order; <paramref name="maxUsers"/>
    /// keeps only the first that many users (0: all).</summary>
    public static UserSessions Read(PreparedDataset data, DataSplit split, int maxUsers = 0)
    {
        var users = new List<int>();
        var offsets = new List<int> { 0 };
        var starts = new List<int>();
        var ends = new List<int>();
        var es = data.EventSplit;
        var se = data.SessionEvents;
        for (int u = 0; u < data.UserCount && (maxUsers == 0 || users.Count < maxUsers); u++)
        {
            var (s0, s1) = data.UserSessionRange(u);
            int before = starts.Count;
            for (int s = s0; s < s1; s++)
            {
                int a = se[s];
                int b = se[s + 1];
                while (a < b && es[a] != (byte)split)
                {
                    a++;
                }
                int e = a;
                while (e < b && es[e] == (byte)split)
                {
                    e++;
                }
                if (e > a)
                {
                    starts.Add(a);
                    ends.Add(e);
                }
            }
            if (starts.Count > before)
            {
                users.Add(u);
                offsets.Add(starts.Count);
            }
        }
        return new UserSessions([.. users], [.. offsets], [.. starts], [.. ends]);
    }

    /// <summary>Training-event count per item (for popularity sampling).</summary>
    public long[] ItemCounts(PreparedDataset data)
    {
        var counts = new long[data.ItemCount];
        var items = data.EventItems;
        for (int s = 0; s < SessionStart.Length; s++)
        {
            for (int e = SessionStart[s]; e < SessionEnd[s]; e++)
            {
                counts[items[e]]++;
            }
        }
        return counts;
    }
}

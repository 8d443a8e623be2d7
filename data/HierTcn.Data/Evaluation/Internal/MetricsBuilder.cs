namespace HierTcn.Data.Evaluation.Internal;

/// <summary>Turns per-event ranks (in query order, grouped by user) into the four metric groups.</summary>
internal static class MetricsBuilder
{
    /// <param name="users">User of each event; events of a user are contiguous.</param>
    /// <param name="ranks">Rank of each event; events with <paramref name="sizes"/>[i] = 0 are left out.</param>
    /// <param name="sizes">Number of items ranked for each event.</param>
    /// <param name="newSession">1 where the event opens a session.</param>
    public static MetricGroups Build(ReadOnlySpan<int> users, ReadOnlySpan<int> ranks, ReadOnlySpan<int> sizes, ReadOnlySpan<byte> newSession)
    {
        var all = new MetricAccumulator();
        var opening = new MetricAccumulator();
        var inside = new MetricAccumulator();
        var perUser = new UserAverage();
        var current = new MetricAccumulator();
        int currentUser = -1;
        for (int i = 0; i < ranks.Length; i++)
        {
            if (sizes[i] == 0)
            {
                continue;
            }
            if (users[i] != currentUser)
            {
                perUser.Add(current.ToMetricSet());
                current = new MetricAccumulator();
                currentUser = users[i];
            }
            all.Add(ranks[i], sizes[i]);
            current.Add(ranks[i], sizes[i]);
            if (newSession[i] != 0)
            {
                opening.Add(ranks[i], sizes[i]);
            }
            else
            {
                inside.Add(ranks[i], sizes[i]);
            }
        }
        perUser.Add(current.ToMetricSet());
        return new MetricGroups
        {
            Event = all.ToMetricSet(),
            User = perUser.ToMetricSet(),
            NewSession = opening.ToMetricSet(),
            WithinSession = inside.ToMetricSet(),
        };
    }
}

using HierTcn.Data.Dataset;

namespace HierTcn.Data.Evaluation.Internal;

/// <summary>The events a split scores, in order (by user, then event), with each event's covariates.</summary>
internal sealed class QueryPlan
{
    public required ScoreQuery[] Queries { get; init; }
    public required int[] PastEvents { get; init; }
    public required int[] SessionPosition { get; init; }
    public required long[] GapMs { get; init; }
    public required int ScoredUsers { get; init; }

    /// <summary>Selects the scored events of <paramref name="split"/>; see <see cref="Evaluator.Queries"/> for the rules.</summary>
    public static QueryPlan Build(PreparedDataset data, DataSplit split)
    {
        var kind = data.Header.SplitKind;
        if (kind == SplitKind.Score && split != DataSplit.Test)
        {
            throw new UserInputException(
                $"{data.Directory}: a dataset prepared with --catalog-from holds only test users (PROTOCOL.md section 9); "
                + $"cannot score its {DatasetHeader.SplitName(split)} split.");
        }
        var userSplit = data.UserSplit;
        var userSessions = data.UserSessions;
        var sessionEvents = data.SessionEvents;
        var eventSplit = data.EventSplit;
        var ts = data.EventTimestamps;
        byte target = (byte)split;

        var queries = new List<ScoreQuery>();
        var past = new List<int>();
        var position = new List<int>();
        var gaps = new List<long>();
        int scoredUsers = 0;
        for (int u = 0; u < data.UserCount; u++)
        {
            int sessionStart = userSessions[u];
            int sessionEnd = userSessions[u + 1];
            if (sessionStart == sessionEnd)
            {
                continue;
            }
            int first = sessionEvents[sessionStart];
            bool userScored;
            if (kind == SplitKind.Warm)
            {
                // Events are in time order within a user, so "the user has an event before T" is a test on the first
                // event; the training period itself has no earlier period, so there it is every event but the first.
                userScored = split == DataSplit.Train || eventSplit[first] < target;
            }
            else
            {
                userScored = userSplit[u] == target;
            }
            if (!userScored)
            {
                continue;
            }
            int before = queries.Count;
            for (int s = sessionStart; s < sessionEnd; s++)
            {
                long gap = s == sessionStart ? -1 : ts[sessionEvents[s]] - ts[sessionEvents[s] - 1];
                for (int e = sessionEvents[s]; e < sessionEvents[s + 1]; e++)
                {
                    if (e == first || (kind == SplitKind.Warm && eventSplit[e] != target))
                    {
                        continue;
                    }
                    queries.Add(new ScoreQuery(u, e));
                    past.Add(e - first);
                    position.Add(e - sessionEvents[s]);
                    gaps.Add(gap);
                }
            }
            if (queries.Count > before)
            {
                scoredUsers++;
            }
        }
        return new QueryPlan
        {
            Queries = [.. queries],
            PastEvents = [.. past],
            SessionPosition = [.. position],
            GapMs = [.. gaps],
            ScoredUsers = scoredUsers,
        };
    }
}

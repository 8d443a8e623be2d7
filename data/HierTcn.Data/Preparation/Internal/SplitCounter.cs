using HierTcn.Data.Dataset;

namespace HierTcn.Data.Preparation.Internal;

/// <summary>Per-split counts (see <see cref="DatasetPreparer"/> for what counts where).</summary>
internal static class SplitCounter
{
    public static Dictionary<string, DatasetCounts> Count(DatasetArrays a)
    {
        const int splits = 3;
        var users = new long[splits];
        var events = new long[splits];
        var sessions = new long[splits];
        var itemSeen = new bool[splits][];
        for (int s = 0; s < splits; s++)
        {
            itemSeen[s] = new bool[a.ItemIds.Length];
        }
        Span<bool> userIn = stackalloc bool[splits];
        for (int u = 0; u < a.UserIds.Length; u++)
        {
            userIn.Clear();
            for (int s = a.UserSessions[u]; s < a.UserSessions[u + 1]; s++)
            {
                sessions[a.EventSplit[a.SessionEvents[s]]]++;
                for (int e = a.SessionEvents[s]; e < a.SessionEvents[s + 1]; e++)
                {
                    int split = a.EventSplit[e];
                    events[split]++;
                    userIn[split] = true;
                    itemSeen[split][a.EventItems[e]] = true;
                }
            }
            for (int s = 0; s < splits; s++)
            {
                users[s] += userIn[s] ? 1 : 0;
            }
        }
        var result = new Dictionary<string, DatasetCounts>();
        for (int s = 0; s < splits; s++)
        {
            result[DatasetHeader.SplitName((DataSplit)s)] = new DatasetCounts
            {
                Users = users[s],
                Items = itemSeen[s].Count(x => x),
                Events = events[s],
                Sessions = sessions[s],
            };
        }
        return result;
    }
}

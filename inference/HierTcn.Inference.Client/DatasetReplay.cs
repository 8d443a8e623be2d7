using Grpc.Core;
using HierTcn.Data.Dataset;
using HierTcn.Inference.V1;

namespace HierTcn.Inference.Client;

/// <summary>
/// Replays users of a prepared dataset through a running Recommender: for each user, every event but the last is
/// sent with ObserveEvents (event ids "user:index", so a replay run twice applies nothing new), then Recommend is
/// asked at the last event's timestamp, the way the evaluation protocol scores that event.
/// </summary>
public static class DatasetReplay
{
    /// <summary>Replays <see cref="ReplayOptions.Users"/> users and returns what the service answered.</summary>
    /// <exception cref="ArgumentException">Unknown split name.</exception>
    /// <exception cref="RpcException">The service refused a call.</exception>
    public static async Task<IReadOnlyList<ReplayedUser>> RunAsync(Recommender.RecommenderClient client, PreparedDataset data, ReplayOptions options,
        CancellationToken cancellationToken = default)
    {
        var users = PickUsers(data, options);
        var results = new List<ReplayedUser>(users.Count);
        foreach (int user in users)
        {
            results.Add(await ReplayUserAsync(client, data, user, options, cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    /// <summary>Users of the chosen split with at least two events, in dataset order.</summary>
    public static List<int> PickUsers(PreparedDataset data, ReplayOptions options)
    {
        int? split = options.Split switch
        {
            "all" => null,
            "train" => (int)DataSplit.Train,
            "validation" => (int)DataSplit.Validation,
            "test" => (int)DataSplit.Test,
            _ => throw new ArgumentException($"split '{options.Split}': use train, validation, test or all"),
        };
        var users = new List<int>();
        var userSplit = data.UserSplit;
        for (int u = 0; u < data.UserCount && users.Count < options.Users; u++)
        {
            var (start, end) = data.UserEvents(u);
            if (end - start >= 2 && (split is null || userSplit[u] == split))
            {
                users.Add(u);
            }
        }
        return users;
    }

    /// <summary>Observes all of user <paramref name="user"/>'s events but the last, then asks for recommendations at
    /// the last one's time.</summary>
    public static async Task<ReplayedUser> ReplayUserAsync(Recommender.RecommenderClient client, PreparedDataset data, int user,
        ReplayOptions options, CancellationToken cancellationToken = default)
    {
        var (start, end) = data.UserEvents(user);
        long userId = data.UserIds[user];
        int last = end - 1;
        for (int at = start; at < last; at += options.EventsPerCall)
        {
            var request = new ObserveEventsRequest();
            for (int e = at; e < Math.Min(last, at + options.EventsPerCall); e++)
            {
                request.Events.Add(EventOf(data, userId, e, options.ModelVersion));
            }
            await client.ObserveEventsAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        var response = await client.RecommendAsync(new RecommendRequest
        {
            UserId = userId,
            K = options.K,
            TimestampMs = data.EventTimestamps[last],
            ModelVersion = options.ModelVersion,
            RequestId = $"replay-{userId}",
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        long heldOut = data.ItemIds[data.EventItems[last]];
        int rank = 0;
        for (int i = 0; i < response.Items.Count; i++)
        {
            if (response.Items[i].ItemId == heldOut)
            {
                rank = i + 1;
                break;
            }
        }
        return new ReplayedUser(userId, last - start, heldOut, rank, response);
    }

    /// <summary>Event <paramref name="e"/> of the dataset as the service's message, with a replay-stable id.</summary>
    public static Event EventOf(PreparedDataset data, long userId, int e, string modelVersion = "") => new()
    {
        UserId = userId,
        ItemId = data.ItemIds[data.EventItems[e]],
        TimestampMs = data.EventTimestamps[e],
        EventId = $"{userId}:{e}",
        ModelVersion = modelVersion,
    };
}

using HierTcn.Data.Dataset;
using HierTcn.Inference.Client;
using HierTcn.Inference.V1;

namespace HierTcn.LoadGen;

/// <summary>The benchmark's users: test users of the prepared dataset; each is warmed by observing all its events but
/// the last, then asked for the whole catalogue at its last event's time.</summary>
internal sealed class Workload(PreparedDataset data, int users)
{
    public List<int> Users { get; } = DatasetReplay.PickUsers(data, new ReplayOptions { Users = users, Split = "test" });

    public PreparedDataset Data => data;

    public async Task WarmAsync(Recommender.RecommenderClient client)
    {
        await Parallel.ForEachAsync(Users, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (u, ct) =>
        {
            var (start, end) = data.UserEvents(u);
            var request = new ObserveEventsRequest();
            for (int e = start; e < end - 1; e++)
                request.Events.Add(DatasetReplay.EventOf(data, data.UserIds[u], e));
            await client.ObserveEventsAsync(request, cancellationToken: ct);
        });
    }

    public RecommendRequest Request(int i, int k)
    {
        int u = Users[i % Users.Count];
        var (_, end) = data.UserEvents(u);
        return new RecommendRequest { UserId = data.UserIds[u], K = k, TimestampMs = data.EventTimestamps[end - 1] };
    }
}

using Grpc.Core;
using Grpc.Net.Client;
using HierTcn.Fleet.Tests.Support;
using HierTcn.Inference.V1;
using HierTcn.Security;

namespace HierTcn.Fleet.Tests;

/// <summary>The fleet once with TLS on (issue 14): the same service over TLS, mutual TLS to the shards, tokens on
/// inference; a caller without the token is refused.</summary>
[Collection(SecureLocalFleetCollection.Name)]
public sealed class SecureLocalFleetTests(SecureLocalFleet fleet)
{
    private static readonly long BaseTimeMs = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds();

    [Fact]
    public async Task EventsOverTls_ObservedThroughA_ChangeWhatBRecommendsAndNoTokenIsRefused()
    {
        const long user = 41_000_001;
        var before = await Calls.RetryAsync(() => fleet.Client(1).RecommendAsync(Query(user), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        Assert.True(before.UnknownUser);

        var request = new ObserveEventsRequest();
        var items = fleet.Model.ItemIds;
        for (int n = 0; n < 5; n++)
            request.Events.Add(new Event { UserId = user, ItemId = items[n * 3 % items.Count], TimestampMs = BaseTimeMs + n * 1_000L, EventId = $"tls:{n}" });
        var observed = await Calls.RetryAsync(() => fleet.Client(0).ObserveEventsAsync(request, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        Assert.Equal(5, observed.Applied + observed.Duplicates);
        var after = await Calls.UntilReadFromStoreAsync(() =>
            Calls.RetryAsync(() => fleet.Client(1).RecommendAsync(Query(user), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync));
        Assert.False(after.Degraded, "B did not reach the TLS shards in 20 attempts");
        Assert.False(after.UnknownUser, "B does not see the state A wrote through the TLS shards");

        var noToken = fleet.ClientSecurity();
        noToken.TokenFile = "";
        using var channel = GrpcChannel.ForAddress(fleet.Inference(0).Address, new GrpcChannelOptions { HttpHandler = new ClientHandler(noToken) });
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await new Recommender.RecommenderClient(channel).ObserveEventsAsync(request));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    private static RecommendRequest Query(long user) => new() { UserId = user, K = 10, TimestampMs = BaseTimeMs + 600_000 };
}

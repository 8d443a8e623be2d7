using Google.Protobuf;
using Grpc.Core;
using HierTcn.Inference.V1;
using HierTcn.Tests.Shared;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Request bytes that are not a valid message (issue 14), on the real server: INVALID_ARGUMENT naming the
/// message type, never UNKNOWN, nothing applied, and the server keeps serving.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class MalformedRequestTests(ServedModelFixture model) : IAsyncLifetime
{
    private const string Service = "hiertcn.inference.v1.Recommender";
    // Field 1 with wire type 7, which does not exist: no protobuf parser accepts it.
    private static readonly byte[] Garbage = [0x0F, 0x00, 0xFF, 0x13];
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(model);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("Recommend", "RecommendRequest")]
    [InlineData("ObserveEvents", "ObserveEventsRequest")]
    [InlineData("EndSession", "EndSessionRequest")]
    [InlineData("GetUserEmbedding", "GetUserEmbeddingRequest")]
    [InlineData("Backfill", "BackfillRequest")]
    [InlineData("CountClicks", "CountClicksRequest")]
    public async Task Unary_GarbageRequestBytes_InvalidArgumentAndStillServing(string method, string messageType)
    {
        var call = _server.Channel.CreateCallInvoker().AsyncUnaryCall(Fuzz.Unary(Service, method), null,
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), Garbage);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains($"not a valid {messageType} message", error.Status.Detail);
        Assert.NotEmpty((await _server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = 1, TimestampMs = T0 })).Items);
    }

    [Fact]
    public async Task ObserveEventStream_GarbageAfterAnEvent_InvalidArgumentAndNothingApplied()
    {
        const long user = 9_001;
        using var call = _server.Channel.CreateCallInvoker().AsyncClientStreamingCall(Fuzz.Streaming(MethodType.ClientStreaming, Service, "ObserveEventStream"),
            null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        await call.RequestStream.WriteAsync(Ev(user, model.Data.ItemIds[2], T0, "s1").ToByteArray());
        await call.RequestStream.WriteAsync(Garbage);
        await call.RequestStream.CompleteAsync();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("not a valid Event message", error.Status.Detail);
        // The event before the bad message sat in an unflushed chunk: the user is still unknown.
        Assert.True((await _server.Client.RecommendAsync(new RecommendRequest { UserId = user, K = 1, TimestampMs = T0 + 1 })).UnknownUser);
    }
}

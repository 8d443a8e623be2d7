using Grpc.Core;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference.V1;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Bad input through the real server: each gets the right status code and a message naming the problem, and
/// the server keeps serving.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class BadInputTests(ServedModelFixture model) : IAsyncLifetime
{
    private TestServer _server = null!;

    private long Item(int i) => model.Data.ItemIds[i];

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(model, new Dictionary<string, string?>
    {
        ["RecommenderServer:MaxMessageBytes"] = "65536",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<RpcException> Fails(StatusCode code, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, e.StatusCode);
        // The server still answers afterwards.
        Assert.NotEmpty((await _server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = 1, TimestampMs = T0 })).Items);
        return e;
    }

    [Fact]
    public async Task Recommend_UnknownUser_ColdStartFromLearnedStart()
    {
        var r = await _server.Client.RecommendAsync(new RecommendRequest { UserId = 987_654_321, K = 5, RequestId = "r1" });
        Assert.True(r.UnknownUser);
        Assert.Equal(5, r.Items.Count);
        Assert.Equal("r1", r.RequestId);
        Assert.All(r.Items, i => Assert.True(float.IsFinite(i.Score)));
    }

    [Fact]
    public async Task Recommend_UnknownCandidateIds_SkippedAndReported()
    {
        var r = await _server.Client.RecommendAsync(new RecommendRequest
        {
            UserId = 1,
            K = 10,
            CandidateItemIds = { Item(0), 424242, Item(1), -5, 424242 },
        });
        Assert.Equal(new[] { 424242L, -5L }, r.UnknownCandidateItemIds);
        Assert.Equal(new[] { Item(0), Item(1) }.Order(), r.Items.Select(i => i.ItemId).Order());
    }

    [Fact]
    public async Task Recommend_OnlyUnknownCandidateIds_EmptyListAndReported()
    {
        var r = await _server.Client.RecommendAsync(new RecommendRequest { UserId = 1, CandidateItemIds = { 424242 } });
        Assert.Empty(r.Items);
        Assert.Equal(new[] { 424242L }, r.UnknownCandidateItemIds);
    }

    [Fact]
    public async Task Recommend_Candidates_RanksOnlyThemWithoutExcluded()
    {
        var r = await _server.Client.RecommendAsync(new RecommendRequest
        {
            UserId = 1,
            K = 10,
            CandidateItemIds = { Item(3), Item(4), Item(5), Item(4) },
            ExcludeItemIds = { Item(5), 99_999 },
        });
        Assert.Equal(new[] { Item(3), Item(4) }.Order(), r.Items.Select(i => i.ItemId).Order());
    }

    [Fact]
    public async Task Recommend_EmptyCandidates_RanksWholeCatalogue()
    {
        var r = await _server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = 1000 });
        Assert.Equal(ServedModelFixture.ItemCount, r.Items.Select(i => i.ItemId).Distinct().Count());
    }

    [Fact]
    public async Task Recommend_TooManyCandidates_InvalidArgument()
    {
        var request = new RecommendRequest { UserId = 1 };
        request.CandidateItemIds.Add(Enumerable.Repeat(Item(0), 10_001));
        var e = await Fails(StatusCode.InvalidArgument, () => _server.Client.RecommendAsync(request).ResponseAsync);
        Assert.Contains("at most 10000", e.Status.Detail);
    }

    [Fact]
    public async Task Recommend_KZero_UsesDefault()
    {
        var r = await _server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = 0 });
        Assert.Equal(20, r.Items.Count);
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(-1)]
    public async Task Recommend_KOutOfRange_InvalidArgument(int k)
    {
        var e = await Fails(StatusCode.InvalidArgument, () => _server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = k }).ResponseAsync);
        Assert.Contains($"k is {k}", e.Status.Detail);
    }

    [Fact]
    public async Task Recommend_UnknownForcedVersion_InvalidArgumentListingLoaded()
    {
        var e = await Fails(StatusCode.InvalidArgument,
            () => _server.Client.RecommendAsync(new RecommendRequest { UserId = 1, ModelVersion = "v9" }).ResponseAsync);
        Assert.Contains("\"v9\" is not loaded; loaded versions: v1", e.Status.Detail);
    }

    [Theory]
    [InlineData(5L, "before 2000-01-01")]
    [InlineData(-1L, "before 2000-01-01")]
    [InlineData(4_102_444_800_000L, "ahead of the server clock")]
    public async Task ObserveEvents_TimestampFarPastOrFuture_InvalidArgumentNothingApplied(long ts, string problem)
    {
        var e = await Fails(StatusCode.InvalidArgument,
            () => _server.Client.ObserveEventsAsync(Batch(Ev(20, Item(1), T0, "ok"), Ev(20, Item(2), ts, "bad"))).ResponseAsync);
        Assert.Contains("events[1] (user 20)", e.Status.Detail);
        Assert.Contains(problem, e.Status.Detail);
        Assert.Contains("nothing was applied", e.Status.Detail);
        Assert.True((await _server.Client.RecommendAsync(new RecommendRequest { UserId = 20, K = 1, TimestampMs = T0 })).UnknownUser);
    }

    [Fact]
    public async Task Recommend_TimestampFarFuture_InvalidArgument()
    {
        var e = await Fails(StatusCode.InvalidArgument,
            () => _server.Client.RecommendAsync(new RecommendRequest { UserId = 1, TimestampMs = 4_102_444_800_000 }).ResponseAsync);
        Assert.Contains("ahead of the server clock", e.Status.Detail);
    }

    [Fact]
    public async Task ObserveEvents_EmptyEventId_InvalidArgument()
    {
        var e = await Fails(StatusCode.InvalidArgument, () => _server.Client.ObserveEventsAsync(Batch(Ev(21, Item(1), T0, ""))).ResponseAsync);
        Assert.Contains("event_id is empty", e.Status.Detail);
    }

    [Fact]
    public async Task ObserveEvents_UnknownItem_CountedAndSkipped()
    {
        var r = await _server.Client.ObserveEventsAsync(Batch(Ev(22, 31_337, T0, "x"), Ev(22, Item(1), T0 + 1, "y")));
        Assert.Equal((1, 1), (r.Applied, r.UnknownItems));
    }

    [Fact]
    public async Task Call_MalformedMessage_ErrorAndServerKeepsServing()
    {
        var marshaller = Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, "hiertcn.inference.v1.Recommender", "Recommend", marshaller, marshaller);
        byte[] garbage = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01, 0x02];
        var e = await Assert.ThrowsAsync<RpcException>(() => _server.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(), garbage).ResponseAsync);
        Assert.NotEqual(StatusCode.OK, e.StatusCode);
        Assert.NotEmpty((await _server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = 1 })).Items);
    }

    [Fact]
    public async Task Call_MessageAboveSizeCap_ResourceExhausted()
    {
        var request = new ObserveEventsRequest();
        request.Events.Add(Enumerable.Range(0, 3000).Select(i => Ev(23, Item(1), T0 + i, new string('x', 40) + i)));
        await Fails(StatusCode.ResourceExhausted, () => _server.Client.ObserveEventsAsync(request).ResponseAsync);
    }

    [Fact]
    public async Task Recommend_OverflowingItemVector_NoNonFiniteScoreLeaves()
    {
        // Snapshots refuse NaN, but a row of float.MaxValue drives the model to overflow: a user whose session holds
        // that item gets a non-finite embedding, which is refused (INTERNAL) and never sent; every score another user
        // receives is finite.
        string dir = Path.Combine(model.Root, "overflow-snapshots");
        var matrix = (float[])model.ItemEmbeddings.Clone();
        matrix.AsSpan(4 * model.Dim, model.Dim).Fill(float.MaxValue);
        ItemSnapshotDirectory.Publish(dir, "items-overflow", model.Data.ItemIds, matrix, model.Dim);
        await using var server = await TestServer.StartAsync(model, new Dictionary<string, string?> { ["Recommender:SnapshotsDirectory"] = dir });
        var r = await server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = 1000 });
        Assert.Equal("items-overflow", r.SnapshotVersion);
        Assert.All(r.Items, i => Assert.True(float.IsFinite(i.Score), $"item {i.ItemId} scored {i.Score}"));
        await server.Client.ObserveEventsAsync(Batch(Ev(24, Item(4), T0, "n")));
        var e = await Assert.ThrowsAsync<RpcException>(() => server.Client.RecommendAsync(new RecommendRequest { UserId = 24, TimestampMs = T0 + 1 }).ResponseAsync);
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("non-finite", e.Status.Detail);
        var embedding = await Assert.ThrowsAsync<RpcException>(() => server.Client.GetUserEmbeddingAsync(new GetUserEmbeddingRequest { UserId = 24, TimestampMs = T0 + 1 }).ResponseAsync);
        Assert.Equal(StatusCode.Internal, embedding.StatusCode);
        using var http = new HttpClient();
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics");
        Assert.Contains($"hiertcn_inference_nonfinite_embeddings_total{{model_version=\"{e.Status.Detail.Split(' ')[1]}\"}}", metrics);
    }

    [Fact]
    public async Task RefreshSnapshot_DamagedNewFile_CurrentKeptAndFailureCounted()
    {
        string dir = Path.Combine(model.Root, "refresh-failure-snapshots");
        ItemSnapshotDirectory.Publish(dir, "items-good", model.Data.ItemIds, model.ItemEmbeddings, model.Dim);
        await using var server = await TestServer.StartAsync(model, new Dictionary<string, string?> { ["Recommender:SnapshotsDirectory"] = dir });
        await File.WriteAllBytesAsync(Path.Combine(dir, "items-bad.snap"), new byte[256]);
        ItemSnapshotDirectory.SetCurrent(dir, "items-bad");
        using var http = new HttpClient();
        string metrics = "";
        for (int i = 0; i < 50 && !metrics.Contains("hiertcn_inference_snapshot_refresh_failures_total{model_version=\"v1\"}", StringComparison.Ordinal); i++)
        {
            Assert.Equal(0, await server.Engine.RefreshSnapshotsAsync());
            metrics = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics");
            await Task.Delay(100);
        }
        Assert.Contains("hiertcn_inference_snapshot_refresh_failures_total{model_version=\"v1\"}", metrics);
        Assert.Contains("hiertcn_inference_snapshot_created_timestamp_seconds{model_version=\"v1\",snapshot_version=\"items-good\"}", metrics);
        var r = await server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = 3 });
        Assert.Equal("items-good", r.SnapshotVersion);
    }
}

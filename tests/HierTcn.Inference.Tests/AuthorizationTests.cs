using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using HierTcn.Inference.V1;
using HierTcn.Security;
using HierTcn.Tests.Shared;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>The server with TLS, client certificates and per-role tokens (issue 14): writes and reads are authorized
/// separately; a refused call changes no state; a certificate and a token are rotated while calls run, and none fails.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class AuthorizationTests(ServedModelFixture model) : IAsyncLifetime
{
    private const string ReadToken = "reader-token-0123456789abcdef";
    private const string WriteToken = "writer-token-0123456789abcdef";
    private readonly TestPki _pki = new();
    private readonly TestPki _stranger = new("stranger-ca");
    private string _writeTokens = "";
    private (string Certificate, string Key) _server;
    private TestServer _host = null!;

    public async Task InitializeAsync()
    {
        _server = _pki.Issue("inference");
        string readTokens = Path.Combine(_pki.Directory, "read-tokens");
        _writeTokens = Path.Combine(_pki.Directory, "write-tokens");
        TestPki.Write(readTokens, ReadToken + "\n");
        TestPki.Write(_writeTokens, WriteToken + "\n");
        _host = await TestServer.StartAsync(model, new Dictionary<string, string?>
        {
            ["Tls:CertificateFile"] = _server.Certificate,
            ["Tls:KeyFile"] = _server.Key,
            ["Tls:ClientCaFile"] = _pki.CaFile,
            ["Tls:ReloadInterval"] = "00:00:00.2",
            ["Auth:Enabled"] = "true",
            ["Auth:ReadTokensFile"] = readTokens,
            ["Auth:WriteTokensFile"] = _writeTokens,
            ["Auth:WriteClients:0"] = "event-ingest",
            ["Auth:ReloadInterval"] = "00:00:00.2",
        }, client: Token(ReadToken));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _pki.Dispose();
        _stranger.Dispose();
    }

    [Fact]
    public async Task ObserveEvents_WithoutCredentials_UnauthenticatedAndStateUnchanged()
    {
        var error = await ObserveAsync(new ClientSecurityOptions { CaFile = _pki.CaFile }, user: 501);
        Assert.Equal(StatusCode.Unauthenticated, error!.StatusCode);
        await AssertUnknownAsync(501);
    }

    [Fact]
    public async Task ObserveEvents_WrongToken_UnauthenticatedAndStateUnchanged()
    {
        var error = await ObserveAsync(Token("someone-elses-token-000000000"), user: 502);
        Assert.Equal(StatusCode.Unauthenticated, error!.StatusCode);
        Assert.Contains("not known", error.Status.Detail);
        await AssertUnknownAsync(502);
    }

    [Fact]
    public async Task WriteMethods_ReadOnlyToken_PermissionDeniedAndStateUnchanged()
    {
        var error = await ObserveAsync(Token(ReadToken), user: 503);
        Assert.Equal(StatusCode.PermissionDenied, error!.StatusCode);
        Assert.Contains("needs Write", error.Status.Detail);
        using var channel = _host.Connect(Token(ReadToken));
        var client = new Recommender.RecommenderClient(channel);
        var end = await Assert.ThrowsAsync<RpcException>(async () => await client.EndSessionAsync(new EndSessionRequest { UserId = 503 }));
        Assert.Equal(StatusCode.PermissionDenied, end.StatusCode);
        var backfill = new BackfillRequest { SourceVersion = "v1", TargetVersion = "v1" };
        backfill.UserIds.Add(503);
        var copy = await Assert.ThrowsAsync<RpcException>(async () => await client.BackfillAsync(backfill));
        Assert.Equal(StatusCode.PermissionDenied, copy.StatusCode);
        var count = await Assert.ThrowsAsync<RpcException>(async () => await client.CountClicksAsync(new CountClicksRequest
        {
            Events = { new Event { UserId = 503, ItemId = 1, TimestampMs = 1_700_000_000_000, EventId = "c" } },
        }));
        Assert.Equal(StatusCode.PermissionDenied, count.StatusCode);
        await AssertUnknownAsync(503);
    }

    [Fact]
    public async Task ReadMethods_WriteOnlyToken_PermissionDenied()
    {
        using var channel = _host.Connect(Token(WriteToken));
        var client = new Recommender.RecommenderClient(channel);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.RecommendAsync(new RecommendRequest { UserId = 1, K = 3 }));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        var embedding = await Assert.ThrowsAsync<RpcException>(async () => await client.GetUserEmbeddingAsync(new GetUserEmbeddingRequest { UserId = 1 }));
        Assert.Equal(StatusCode.PermissionDenied, embedding.StatusCode);
    }

    [Fact]
    public async Task ObserveEvents_UntrustedClientCertificate_UnauthenticatedAndStateUnchanged()
    {
        var (certificate, key) = _stranger.Issue("event-ingest");
        var error = await ObserveAsync(new ClientSecurityOptions { CaFile = _pki.CaFile, CertificateFile = certificate, KeyFile = key }, user: 504);
        Assert.Equal(StatusCode.Unauthenticated, error!.StatusCode);
        Assert.Contains("not trusted", error.Status.Detail);
        await AssertUnknownAsync(504);
    }

    [Fact]
    public async Task ObserveEvents_WriteTokenOrTrustedWriterCertificate_Applied()
    {
        Assert.Null(await ObserveAsync(Token(WriteToken), user: 505));
        var (certificate, key) = _pki.Issue("event-ingest");
        Assert.Null(await ObserveAsync(new ClientSecurityOptions { CaFile = _pki.CaFile, CertificateFile = certificate, KeyFile = key }, user: 506));
        foreach (long user in new[] { 505L, 506L })
            Assert.False((await _host.Client.RecommendAsync(new RecommendRequest { UserId = user, K = 3, TimestampMs = T0 + 1 })).UnknownUser);
    }

    [Fact]
    public async Task Health_WithoutCredentials_ServingAndReflectionOff()
    {
        using var channel = _host.Connect(new ClientSecurityOptions { CaFile = _pki.CaFile });
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        // Only the response is read: the server ends an unknown method at once, and a request written into that race
        // can fail as Cancelled instead. With reflection on, the read would wait for a request and end at the deadline.
        using var reflection = new ServerReflection.ServerReflectionClient(_host.Channel).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30));
        var error = await Assert.ThrowsAsync<RpcException>(() => reflection.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Metrics_RefusedCalls_CountedByMethodAndCode()
    {
        await ObserveAsync(new ClientSecurityOptions { CaFile = _pki.CaFile }, user: 507);
        await ObserveAsync(Token(ReadToken), user: 507);
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{_host.MetricsPort}/metrics");
        Assert.Matches("hiertcn_inference_refused_calls_total\\{method=\"ObserveEvents\",code=\"Unauthenticated\"\\} [1-9]", text);
        Assert.Matches("hiertcn_inference_refused_calls_total\\{method=\"ObserveEvents\",code=\"PermissionDenied\"\\} [1-9]", text);
    }

    [Fact]
    public async Task Rotation_ServerCertificateAndTokenWhileCallsRun_NoFailedCall()
    {
        const string NewToken = "writer-token-rotated-9876543210";
        string clientToken = Path.Combine(_pki.Directory, "client-token");
        TestPki.Write(clientToken, WriteToken);
        using var handler = new ClientHandler(new ClientSecurityOptions { CaFile = _pki.CaFile, TokenFile = clientToken, ReloadInterval = TimeSpan.FromMilliseconds(200) });
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_host.Address, new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var writer = new Recommender.RecommenderClient(channel);
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentQueue<string>();
        long calls = 0;
        var traffic = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await writer.ObserveEventsAsync(Batch(Ev(600 + i % 20, model.Data.ItemIds[i % 10], T0 + i * 1000L, $"rot-{i}")));
                    await _host.Client.RecommendAsync(new RecommendRequest { UserId = 600 + i % 20, K = 3, TimestampMs = T0 + i * 1000L + 1 });
                    Interlocked.Increment(ref calls);
                }
                catch (RpcException e)
                {
                    failures.Enqueue($"call {i}: {e.StatusCode} {e.Status.Detail}");
                }
            }
        });

        string renewed = _pki.Issue("inference-renewed", "inference").Certificate;
        string thumbprint = TestPki.ThumbprintOf(renewed);
        await Until(async () => await TestPki.PresentedThumbprintAsync(_host.Port) == thumbprint, "the server presents the renewed certificate");

        TestPki.Write(_writeTokens, WriteToken + "\n" + NewToken + "\n");
        await Until(async () => await ObserveAsync(Token(NewToken), user: 650) is null, "the server accepts the new token");
        TestPki.Write(clientToken, NewToken);
        await Until(() => Task.FromResult(handler.Token!.Current == NewToken), "the client reads the new token");
        TestPki.Write(_writeTokens, NewToken + "\n");
        await Until(async () => await ObserveAsync(Token(WriteToken), user: 651) is not null, "the server refuses the old token");
        long after = Interlocked.Read(ref calls);
        await Until(() => Task.FromResult(Interlocked.Read(ref calls) > after + 10), "calls go on with the new token");
        await stop.CancelAsync();
        await traffic;

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
    }

    private ClientSecurityOptions Token(string token)
    {
        string file = Path.Combine(_pki.Directory, "token-" + Guid.NewGuid().ToString("N")[..8]);
        TestPki.Write(file, token);
        return new ClientSecurityOptions { CaFile = _pki.CaFile, TokenFile = file };
    }

    /// <summary>Observes one event of <paramref name="user"/> with <paramref name="options"/>; returns the refusal,
    /// or null when it was applied.</summary>
    private async Task<RpcException?> ObserveAsync(ClientSecurityOptions options, long user)
    {
        using var channel = _host.Connect(options);
        try
        {
            var reply = await new Recommender.RecommenderClient(channel).ObserveEventsAsync(Batch(Ev(user, model.Data.ItemIds[1], T0, $"auth-{user}-{Guid.NewGuid():N}")));
            Assert.Equal(1, reply.Applied + reply.Duplicates + reply.Late);
            return null;
        }
        catch (RpcException e)
        {
            return e;
        }
    }

    private async Task AssertUnknownAsync(long user) =>
        Assert.True((await _host.Client.RecommendAsync(new RecommendRequest { UserId = user, K = 3, TimestampMs = T0 + 1 })).UnknownUser);

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"never: {what}");
            await Task.Delay(50);
        }
    }
}

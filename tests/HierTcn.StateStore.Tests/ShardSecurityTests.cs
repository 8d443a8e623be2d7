using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using HierTcn.Formats.State;
using HierTcn.Security;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Protocol;
using HierTcn.StateStore.Tests.Support;
using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests;

/// <summary>A shard with TLS, client certificates and per-role tokens (issue 14): every refused write leaves the store
/// as it was; a certificate and a token are rotated while writes run, and none fails.</summary>
public sealed class ShardSecurityTests : IAsyncLifetime
{
    private const string ReadToken = "read-token-0123456789abcdef";
    private const string WriteToken = "write-token-0123456789abcdef";
    private const string Writer = "hiertcn-inference";
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki = new();
    private readonly TestPki _stranger = new("stranger-ca");
    private readonly int _metricsPort = ServerProcess.FreePort();
    private string _readTokens = "", _writeTokens = "";
    private (string Certificate, string Key) _server;
    private InProcessShard _shard = null!;

    public async Task InitializeAsync()
    {
        _server = _pki.Issue("state-0");
        _readTokens = Path.Combine(_pki.Directory, "read-tokens");
        _writeTokens = Path.Combine(_pki.Directory, "write-tokens");
        TestPki.Write(_readTokens, ReadToken + "\n");
        TestPki.Write(_writeTokens, "# the writers\n" + WriteToken + "\n");
        _shard = await InProcessShard.StartAsync(_dir.Path,
            $"--Tls:CertificateFile={_server.Certificate}", $"--Tls:KeyFile={_server.Key}", $"--Tls:ClientCaFile={_pki.CaFile}",
            "--Tls:ReloadInterval=00:00:00.2", "--Auth:Enabled=true", $"--Auth:ReadTokensFile={_readTokens}",
            $"--Auth:WriteTokensFile={_writeTokens}", $"--Auth:WriteClients:0={Writer}", $"--Auth:ReadClients:0={Writer}",
            "--Auth:ReadClients:1=reader", "--Auth:ReloadInterval=00:00:00.2",
            $"--StateStoreServer:MetricsPort={_metricsPort}", "--StateStoreServer:MetricsHostname=127.0.0.1");
    }

    public async Task DisposeAsync()
    {
        await _shard.DisposeAsync();
        _pki.Dispose();
        _stranger.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Put_WithoutCredentials_UnauthenticatedAndNothingStored()
    {
        var error = await PutAsync(new ClientSecurityOptions { CaFile = _pki.CaFile }, user: 1);
        Assert.Equal(StatusCode.Unauthenticated, error!.StatusCode);
        Assert.Contains("no credentials", error.Status.Detail);
        await AssertNotStoredAsync(1);
    }

    [Fact]
    public async Task Put_WrongToken_UnauthenticatedAndNothingStored()
    {
        var error = await PutAsync(WithToken("not-a-token-of-this-shard-0000"), user: 2);
        Assert.Equal(StatusCode.Unauthenticated, error!.StatusCode);
        Assert.Contains("not known", error.Status.Detail);
        await AssertNotStoredAsync(2);
    }

    [Fact]
    public async Task WriteMethods_ReadOnlyToken_PermissionDeniedAndNothingStored()
    {
        var error = await PutAsync(WithToken(ReadToken), user: 3);
        Assert.Equal(StatusCode.PermissionDenied, error!.StatusCode);
        Assert.Contains("needs Write", error.Status.Detail);

        using var channel = Channel(WithToken(ReadToken));
        using var apply = new Protocol.StateStore.StateStoreClient(channel).Apply();
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            try
            {
                await apply.RequestStream.WriteAsync(new ApplyRequest { Id = 1, Put = new PutRequest { State = Bytes(3, 1) } });
                await apply.RequestStream.CompleteAsync();
            }
            catch (RpcException)
            {
                // The server may refuse and end the call before the client's write or completion goes out; the
                // client's send then fails with Cancelled (seen once in a full test run). The call's own status is
                // read from the response below.
            }
            await apply.ResponseStream.MoveNext(CancellationToken.None);
        });
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        await AssertNotStoredAsync(3);
    }

    [Fact]
    public async Task Get_WriteOnlyToken_PermissionDenied()
    {
        using var channel = Channel(WithToken(WriteToken));
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new Protocol.StateStore.StateStoreClient(channel)
            .GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = 1 } }));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task Put_UntrustedClientCertificate_UnauthenticatedAndNothingStored()
    {
        var (certificate, key) = _stranger.Issue(Writer);
        var error = await PutAsync(new ClientSecurityOptions { CaFile = _pki.CaFile, CertificateFile = certificate, KeyFile = key }, user: 4);
        Assert.Equal(StatusCode.Unauthenticated, error!.StatusCode);
        Assert.Contains("not trusted", error.Status.Detail);
        await AssertNotStoredAsync(4);
    }

    [Fact]
    public async Task Put_ClientCertificateWithReadRoleOnly_PermissionDenied()
    {
        var (certificate, key) = _pki.Issue("reader");
        var error = await PutAsync(new ClientSecurityOptions { CaFile = _pki.CaFile, CertificateFile = certificate, KeyFile = key }, user: 5);
        Assert.Equal(StatusCode.PermissionDenied, error!.StatusCode);
        await AssertNotStoredAsync(5);
    }

    [Fact]
    public async Task RemoteStateStore_TrustedClientCertificate_WritesAndReads()
    {
        var (certificate, key) = _pki.Issue(Writer);
        await using var store = new RemoteStateStore(new RemoteStateStoreOptions
        {
            Shards = [_shard.Address],
            Security = new ClientSecurityOptions { CaFile = _pki.CaFile, CertificateFile = certificate, KeyFile = key },
        });
        Assert.Equal(StoreStatus.Ok, (await store.PutAsync(TestStates.Make(6, 2))).Status);
        Assert.Equal(2, TestStates.CounterOf((await store.GetAsync(new StateKey(TestStates.Model, 6))).State!));
    }

    [Fact]
    public async Task RemoteStateStore_ServerCertificateFromAnotherAuthority_Unavailable()
    {
        await using var store = new RemoteStateStore(new RemoteStateStoreOptions
        {
            Shards = [_shard.Address],
            CallTimeout = TimeSpan.FromSeconds(10),
            Security = new ClientSecurityOptions { CaFile = _stranger.CaFile },
        });
        var result = await store.PutAsync(TestStates.Make(7, 1));
        Assert.Equal(StoreStatus.Unavailable, result.Status);
        await AssertNotStoredAsync(7);
    }

    [Fact]
    public async Task Health_WithoutCredentials_Serving()
    {
        using var channel = Channel(new ClientSecurityOptions { CaFile = _pki.CaFile });
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task HealthPort_TlsOn_ServesOnlyHealthInCleartext()
    {
        int grpc = ServerProcess.FreePort(), health = ServerProcess.FreePort();
        using var dir = new TempDirectory();
        await using var shard = await InProcessShard.StartAsync(dir.Path, "--urls", $"http://127.0.0.1:{grpc};http://127.0.0.1:{health}",
            $"--Tls:CertificateFile={_server.Certificate}", $"--Tls:KeyFile={_server.Key}", $"--Tls:HealthPort={health}");
        Assert.Equal($"https://127.0.0.1:{grpc}", shard.Address);
        using var cleartext = GrpcChannel.ForAddress($"http://127.0.0.1:{health}");
        var reply = await new Health.HealthClient(cleartext).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new Protocol.StateStore.StateStoreClient(cleartext)
            .PutAsync(new PutRequest { State = Bytes(9, 1) }));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        using var secure = GrpcChannel.ForAddress(shard.Address, new GrpcChannelOptions { HttpHandler = new ClientHandler(new ClientSecurityOptions { CaFile = _pki.CaFile }) });
        Assert.Equal(Protocol.Status.Ok, (await new Protocol.StateStore.StateStoreClient(secure).PutAsync(new PutRequest { State = Bytes(9, 1) })).Status);
    }

    [Fact]
    public async Task Metrics_RefusedCalls_CountedByMethodAndCode()
    {
        await PutAsync(new ClientSecurityOptions { CaFile = _pki.CaFile }, user: 8);
        await PutAsync(WithToken(ReadToken), user: 8);
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{_metricsPort}/metrics");
        Assert.Contains("hiertcn_statestore_refused_calls_total{method=\"Put\",code=\"Unauthenticated\"} 1", text);
        Assert.Contains("hiertcn_statestore_refused_calls_total{method=\"Put\",code=\"PermissionDenied\"} 1", text);
    }

    [Fact]
    public async Task Rotation_ServerCertificateAndTokenWhileWriting_NoFailedWrite()
    {
        string clientToken = Path.Combine(_pki.Directory, "client-token");
        TestPki.Write(clientToken, WriteToken + "\n");
        const string NewToken = "write-token-rotated-fedcba9876543210";
        await using var store = new RemoteStateStore(new RemoteStateStoreOptions
        {
            Shards = [_shard.Address],
            Security = new ClientSecurityOptions { CaFile = _pki.CaFile, TokenFile = clientToken, ReloadInterval = TimeSpan.FromMilliseconds(200) },
        });
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentQueue<string>();
        long written = 0;
        var writer = Task.Run(async () =>
        {
            for (long i = 1; !stop.IsCancellationRequested; i++)
            {
                var result = await store.PutAsync(TestStates.Make(1000 + (i % 50), i));
                if (result.IsOk)
                    Interlocked.Increment(ref written);
                else
                    failures.Enqueue($"write {i}: {result.Status} {result.Error}");
            }
        });

        // The certificate: new connections get the new one, the writer's connection keeps working.
        string before = await TestPki.PresentedThumbprintAsync(_shard.Port);
        _pki.Issue("state-0-renewed", "state-0");
        string renewed = TestPki.ThumbprintOf(_server.Certificate);
        Assert.NotEqual(before, renewed);
        await Until(async () => await TestPki.PresentedThumbprintAsync(_shard.Port) == renewed, "the shard presents the renewed certificate");
        await using (var fresh = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [_shard.Address], Security = WithToken(WriteToken) }))
            Assert.Equal(StoreStatus.Ok, (await fresh.PutAsync(TestStates.Make(999, 1))).Status);

        // The token: the shard accepts old and new, the client moves to the new one, the shard drops the old one.
        TestPki.Write(_writeTokens, WriteToken + "\n" + NewToken + "\n");
        await Until(async () => await PutAsync(WithToken(NewToken), user: 998) is null, "the shard accepts the new token");
        TestPki.Write(clientToken, NewToken + "\n");
        await Until(() => Task.FromResult(store.Handler.Token!.Current == NewToken), "the client reads the new token");
        TestPki.Write(_writeTokens, NewToken + "\n");
        await Until(async () => await PutAsync(WithToken(WriteToken), user: 997) is not null, "the shard refuses the old token");
        long after = Interlocked.Read(ref written);
        await Until(() => Task.FromResult(Interlocked.Read(ref written) > after + 20), "writes go on with the new token");
        await stop.CancelAsync();
        await writer;

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.True(written > 20);
    }

    private ClientSecurityOptions WithToken(string token)
    {
        string file = Path.Combine(_pki.Directory, "token-" + Guid.NewGuid().ToString("N")[..8]);
        TestPki.Write(file, token);
        return new ClientSecurityOptions { CaFile = _pki.CaFile, TokenFile = file };
    }

    private GrpcChannel Channel(ClientSecurityOptions options) =>
        GrpcChannel.ForAddress(_shard.Address, new GrpcChannelOptions { HttpHandler = new ClientHandler(options) });

    /// <summary>Puts (user, 1) with <paramref name="options"/>; returns the refusal, or null when it was stored.</summary>
    private async Task<RpcException?> PutAsync(ClientSecurityOptions options, long user)
    {
        using var channel = Channel(options);
        try
        {
            var reply = await new Protocol.StateStore.StateStoreClient(channel).PutAsync(new PutRequest { State = Bytes(user, 1) },
                deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Equal(Protocol.Status.Ok, reply.Status);
            return null;
        }
        catch (RpcException e)
        {
            return e;
        }
    }

    private async Task AssertNotStoredAsync(long user)
    {
        using var channel = Channel(WithToken(ReadToken));
        var reply = await new Protocol.StateStore.StateStoreClient(channel).GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = user } });
        Assert.Equal(Protocol.Status.NotFound, reply.Status);
    }

    private static ByteString Bytes(long user, long counter) => ByteString.CopyFrom(UserStateSerializer.Serialize(TestStates.Make(user, counter)));

    /// <summary>Polls <paramref name="condition"/> until it holds (the files are checked every 200 ms); fails after
    /// 60 s, which only a broken reload reaches.</summary>
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

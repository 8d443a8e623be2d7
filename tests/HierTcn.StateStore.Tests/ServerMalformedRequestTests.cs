using System.Globalization;
using System.Net.Http;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using HierTcn.Formats.State;
using HierTcn.StateStore.Protocol;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

/// <summary>Bytes that are not a valid message, negative user ids, keys of another shard (issue 13): INVALID_ARGUMENT
/// (FAILED_PRECONDITION for another shard's key), never UNKNOWN, an Apply stream survives one bad message, and every
/// rejected call is counted once in the call metrics.</summary>
public sealed class ServerMalformedRequestTests : IAsyncLifetime
{
    private const string Service = "hiertcn.statestore.v1.StateStore";
    // Field 1 with wire type 7, which does not exist: no protobuf parser accepts it.
    private static readonly byte[] Garbage = [0x0F, 0x00, 0xFF, 0x13];
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);
    private readonly TempDirectory _dir = new();
    private InProcessShard _shard = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _shard = await InProcessShard.StartAsync(_dir.Path);
        _channel = GrpcChannel.ForAddress(_shard.Address);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _shard.DisposeAsync();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("Get")]
    [InlineData("Put")]
    [InlineData("BatchGet")]
    [InlineData("CompareAndSwap")]
    [InlineData("Delete")]
    public async Task Unary_GarbageRequestBytes_InvalidArgument(string method)
    {
        var call = _channel.CreateCallInvoker().AsyncUnaryCall(new Method<byte[], byte[]>(MethodType.Unary, Service, method, Raw, Raw), null,
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), Garbage);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("not a valid", error.Status.Detail);
    }

    [Fact]
    public async Task Apply_GarbageMessageBetweenTwoWrites_AcksAllThreeAndTheStreamEndsOk()
    {
        using var call = _channel.CreateCallInvoker().AsyncDuplexStreamingCall(new Method<byte[], byte[]>(MethodType.DuplexStreaming, Service, "Apply", Raw, Raw), null,
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        await call.RequestStream.WriteAsync(new ApplyRequest { Id = 1, Put = new PutRequest { State = State(1, 1) } }.ToByteArray());
        await call.RequestStream.WriteAsync(Garbage);
        await call.RequestStream.WriteAsync(new ApplyRequest { Id = 3, Put = new PutRequest { State = State(3, 1) } }.ToByteArray());
        await call.RequestStream.CompleteAsync();
        var acks = new List<ApplyAck>();
        await foreach (var bytes in call.ResponseStream.ReadAllAsync())
            acks.Add(ApplyAck.Parser.ParseFrom(bytes));

        Assert.Equal(3, acks.Count);
        Assert.Equal(Protocol.Status.Ok, acks.Single(a => a.Id == 1).Result.Status);
        Assert.Equal(Protocol.Status.Ok, acks.Single(a => a.Id == 3).Result.Status);
        Assert.Equal(Protocol.Status.InvalidArgument, acks.Single(a => a.Id == 0).Result.Status);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task NegativeUserId_InvalidArgument()
    {
        var client = new Protocol.StateStore.StateStoreClient(_channel);
        var get = await Assert.ThrowsAsync<RpcException>(async () => await client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = -1 } }));
        Assert.Equal(StatusCode.InvalidArgument, get.StatusCode);
        var put = await client.PutAsync(new PutRequest { State = State(-7, 1) });
        Assert.Equal(Protocol.Status.InvalidArgument, put.Status);
        Assert.Contains("not negative", put.Error);
        Assert.Equal(Protocol.Status.NotFound, (await client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = 7 } })).Status);
    }

    [Fact]
    public async Task Metrics_RejectedCalls_CountedOnceByMethodAndReason()
    {
        using var dir = new TempDirectory();
        int metricsPort = ServerProcess.FreePort();
        await using var shard = await InProcessShard.StartAsync(dir.Path, "--StateStoreServer:ShardIndex=0", "--StateStoreServer:ShardCount=2",
            $"--StateStoreServer:MetricsPort={metricsPort}", "--StateStoreServer:MetricsHostname=127.0.0.1");
        using var channel = GrpcChannel.ForAddress(shard.Address);
        var client = new Protocol.StateStore.StateStoreClient(channel);
        long mine = Enumerable.Range(0, 100).First(u => ShardHash.ShardOf(new StateKey(TestStates.Model, u), 2) == 0);
        long theirs = Enumerable.Range(0, 100).First(u => ShardHash.ShardOf(new StateKey(TestStates.Model, u), 2) == 1);

        var garbage = channel.CreateCallInvoker().AsyncUnaryCall(new Method<byte[], byte[]>(MethodType.Unary, Service, "Get", Raw, Raw), null,
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), Garbage);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await garbage)).StatusCode);
        var negative = await Assert.ThrowsAsync<RpcException>(async () => await client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = -3 } }));
        Assert.Equal(StatusCode.InvalidArgument, negative.StatusCode);
        var foreign = await Assert.ThrowsAsync<RpcException>(async () => await client.PutAsync(new PutRequest { State = State(theirs, 1) }));
        Assert.Equal(StatusCode.FailedPrecondition, foreign.StatusCode);

        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(new Method<byte[], byte[]>(MethodType.DuplexStreaming, Service, "Apply", Raw, Raw), null,
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        await call.RequestStream.WriteAsync(new ApplyRequest { Id = 1, Put = new PutRequest { State = State(mine, 1) } }.ToByteArray());
        await call.RequestStream.WriteAsync(Garbage);
        await call.RequestStream.WriteAsync(new ApplyRequest { Id = 3, Put = new PutRequest { State = State(theirs, 1) } }.ToByteArray());
        await call.RequestStream.CompleteAsync();
        var acks = new List<ApplyAck>();
        await foreach (var bytes in call.ResponseStream.ReadAllAsync())
            acks.Add(ApplyAck.Parser.ParseFrom(bytes));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(Protocol.Status.Ok, acks.Single(a => a.Id == 1).Result.Status);
        var wrongShard = acks.Single(a => a.Id == 3).Result;
        Assert.Equal(Protocol.Status.InvalidArgument, wrongShard.Status);
        Assert.Contains("belongs to shard 1 of 2, this is shard 0", wrongShard.Error);

        using var http = new HttpClient();
        var scrape = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        Assert.Equal(2, Operations(scrape, "Get", "invalid_argument"));
        Assert.Equal(1, Operations(scrape, "Put", "wrong_shard"));
        Assert.Equal(1, Operations(scrape, "Apply", "ok"));
        Assert.Equal(1, Operations(scrape, "Apply", "invalid_argument"));
        Assert.Equal(1, Operations(scrape, "Apply", "wrong_shard"));
        Assert.Equal(0, Operations(scrape, "Put", "ok"));
    }

    /// <summary>The value of hiertcn_statestore_operations_total for <paramref name="method"/> and
    /// <paramref name="status"/> in a scrape; 0 when the series is absent.</summary>
    private static double Operations(string scrape, string method, string status)
    {
        string prefix = $"hiertcn_statestore_operations_total{{method=\"{method}\",status=\"{status}\"}} ";
        var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    private static ByteString State(long user, long counter) => ByteString.CopyFrom(UserStateSerializer.Serialize(TestStates.Make(user, counter)));
}

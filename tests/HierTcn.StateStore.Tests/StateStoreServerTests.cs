using System.Net.Http;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using HierTcn.Formats.State;
using HierTcn.StateStore.Protocol;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

/// <summary>The server's own surface, through the raw generated client: streaming apply, bad requests, health,
/// metrics.</summary>
public sealed class StateStoreServerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly int _metricsPort = ServerProcess.FreePort();
    private InProcessShard _shard = null!;
    private GrpcChannel _channel = null!;
    private Protocol.StateStore.StateStoreClient _client = null!;

    public async Task InitializeAsync()
    {
        _shard = await InProcessShard.StartAsync(_dir.Path, $"--StateStoreServer:MetricsPort={_metricsPort}", "--StateStoreServer:MetricsHostname=127.0.0.1", "--StateStoreServer:MaxBatchItems=5");
        _channel = GrpcChannel.ForAddress(_shard.Address);
        _client = new Protocol.StateStore.StateStoreClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _shard.DisposeAsync();
        _dir.Dispose();
    }

    private static ByteString Bytes(long user, long counter) => ByteString.CopyFrom(UserStateSerializer.Serialize(TestStates.Make(user, counter)));

    [Fact]
    public async Task Apply_StreamOfWrites_AcksEachByIdOnceDurable()
    {
        using var call = _client.Apply();
        const int count = 200;
        var acks = new Dictionary<ulong, WriteResponse>();
        var reader = Task.Run(async () =>
        {
            await foreach (var ack in call.ResponseStream.ReadAllAsync())
                acks[ack.Id] = ack.Result;
        });
        for (ulong id = 1; id <= count; id++)
            await call.RequestStream.WriteAsync(new ApplyRequest { Id = id, Put = new PutRequest { State = Bytes((long)id, 1) } });
        await call.RequestStream.WriteAsync(new ApplyRequest { Id = 1000, CompareAndSwap = new CompareAndSwapRequest { State = Bytes(1, 2), ExpectedVersion = 9 } });
        await call.RequestStream.WriteAsync(new ApplyRequest { Id = 1001, Put = new PutRequest { State = ByteString.CopyFromUtf8("junk") } });
        await call.RequestStream.WriteAsync(new ApplyRequest { Id = 1002 });
        await call.RequestStream.CompleteAsync();
        await reader;

        Assert.Equal(count + 3, acks.Count);
        for (ulong id = 1; id <= count; id++)
            Assert.Equal(Protocol.Status.Ok, acks[id].Status);
        Assert.Equal(Protocol.Status.VersionMismatch, acks[1000].Status);
        Assert.Equal(1UL, acks[1000].Version);
        Assert.Equal(Protocol.Status.InvalidArgument, acks[1001].Status);
        Assert.Contains("put.state", acks[1001].Error);
        Assert.Equal(Protocol.Status.InvalidArgument, acks[1002].Status);
        var stored = await _client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = 150 } });
        Assert.Equal(Protocol.Status.Ok, stored.Status);
        Assert.Equal(1, TestStates.CounterOf(UserStateSerializer.Deserialize(stored.State.Span)));
    }

    [Fact]
    public async Task Put_DamagedStateBytes_InvalidArgumentNamingTheProblem()
    {
        var bytes = UserStateSerializer.Serialize(TestStates.Make(1, 1));
        bytes[20] ^= 0xFF;
        var error = await Assert.ThrowsAsync<RpcException>(async () => await _client.PutAsync(new PutRequest { State = ByteString.CopyFrom(bytes) }));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("state: user state checksum mismatch", error.Status.Detail);
    }

    [Fact]
    public async Task Get_MissingKey_InvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await _client.GetAsync(new GetRequest()));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("key is required", error.Status.Detail);
    }

    [Fact]
    public async Task BatchPut_OverLimitOrBadItem_RejectedPrecisely()
    {
        var tooMany = new BatchPutRequest();
        for (int i = 0; i < 6; i++)
            tooMany.States.Add(Bytes(i, 1));
        var error = await Assert.ThrowsAsync<RpcException>(async () => await _client.BatchPutAsync(tooMany));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("at most 5", error.Status.Detail);

        var mixed = new BatchPutRequest();
        mixed.States.Add(Bytes(1, 1));
        mixed.States.Add(ByteString.CopyFromUtf8("nope"));
        var response = await _client.BatchPutAsync(mixed);
        Assert.Equal(Protocol.Status.Ok, response.Results[0].Status);
        Assert.Equal(Protocol.Status.InvalidArgument, response.Results[1].Status);
        Assert.StartsWith("states[1]:", response.Results[1].Error);
    }

    [Fact]
    public async Task Health_OpenStore_Serving()
    {
        var health = new Health.HealthClient(_channel);
        var reply = await health.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Metrics_AfterCalls_ExposeOperationsLatencyAndStoreGauges()
    {
        await _client.PutAsync(new PutRequest { State = Bytes(7, 1) });
        await _client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = 7 } });
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{_metricsPort}/metrics");
        Assert.Contains("hiertcn_statestore_operations_total{method=\"Put\",status=\"ok\"}", text);
        Assert.Contains("hiertcn_statestore_operation_duration_seconds_bucket{method=\"Get\"", text);
        Assert.Contains("hiertcn_statestore_log_bytes{log=\"wal\"}", text);
        Assert.Contains("hiertcn_statestore_checkpoint_age_seconds", text);
        Assert.Contains("hiertcn_statestore_recovery_seconds", text);
        Assert.Contains("hiertcn_statestore_writes_refused 0", text);
    }
}

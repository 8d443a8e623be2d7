using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using HierTcn.Formats.State;
using HierTcn.StateStore.Protocol;
using HierTcn.StateStore.Tests.Support;
using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests;

/// <summary>Seeded fuzzing (issue 14): malformed and truncated protobuf bodies on every method, then malformed raw
/// HTTP/2 on a TCP connection. The shard stays healthy, and every write it accepted reads back as a whole state.</summary>
public sealed class ServerFuzzTests : IAsyncLifetime
{
    private const string Service = "hiertcn.statestore.v1.StateStore";
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

    [Fact]
    public async Task Fuzz_MalformedMessagesAndRawFrames_HealthyAndEveryAcceptedWriteWhole()
    {
        var random = new Random(14_2026);
        var invoker = _channel.CreateCallInvoker();
        var accepted = new HashSet<long>();
        int calls = 0, refused = 0;
        var end = DateTime.UtcNow.AddSeconds(60);
        for (int i = 0; i < 600 && DateTime.UtcNow < end; i++)
        {
            long user = i % 40;
            var (method, valid) = (i % 6) switch
            {
                0 => ("Get", new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = user } }.ToByteArray()),
                1 => ("BatchGet", Batch(user)),
                2 => ("Put", new PutRequest { State = Bytes(user, i) }.ToByteArray()),
                3 => ("BatchPut", BatchPut(user, i)),
                4 => ("CompareAndSwap", new CompareAndSwapRequest { State = Bytes(user, i), ExpectedVersion = (ulong)random.Next(3) }.ToByteArray()),
                _ => ("Delete", new DeleteRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = user } }.ToByteArray()),
            };
            byte[] body = Fuzz.Mutate(random, valid);
            calls++;
            try
            {
                byte[] reply = await invoker.AsyncUnaryCall(Fuzz.Unary(Service, method), null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), body);
                foreach (long written in AcceptedWrites(method, body, reply))
                    accepted.Add(written);
            }
            catch (RpcException e)
            {
                Assert.True(e.StatusCode == StatusCode.InvalidArgument, $"{method}: {e.StatusCode} {e.Status.Detail}");
                refused++;
            }
        }
        await Fuzz.RawHttp2Async(_shard.Port, seed: 7, connections: 150, budget: TimeSpan.FromSeconds(60));

        var health = await new Health.HealthClient(_channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.True(refused > 0 && accepted.Count > 0, $"{calls} calls: {refused} refused, {accepted.Count} users written");
        var client = new Protocol.StateStore.StateStoreClient(_channel);
        foreach (long user in accepted)
        {
            var read = await client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = user } });
            if (read.Status == Protocol.Status.NotFound)
                continue; // deleted later in the run
            Assert.Equal(Protocol.Status.Ok, read.Status);
            Assert.True(UserStateSerializer.TryDeserialize(read.State.Span, out var state, out var error), $"user {user}: {error}");
            Assert.Equal(user, state.UserId);
            TestStates.CounterOf(state);
        }
    }

    /// <summary>The users an accepted write call stored (OK results of Put, BatchPut, CompareAndSwap).</summary>
    private static IEnumerable<long> AcceptedWrites(string method, byte[] body, byte[] reply)
    {
        switch (method)
        {
            case "Put" or "CompareAndSwap":
                if (WriteResponse.Parser.ParseFrom(reply).Status == Protocol.Status.Ok)
                {
                    var state = method == "Put" ? PutRequest.Parser.ParseFrom(body).State : CompareAndSwapRequest.Parser.ParseFrom(body).State;
                    yield return UserStateSerializer.Deserialize(state.Span).UserId;
                }
                break;
            case "BatchPut":
                var request = BatchPutRequest.Parser.ParseFrom(body);
                var results = BatchWriteResponse.Parser.ParseFrom(reply).Results;
                for (int i = 0; i < results.Count; i++)
                {
                    if (results[i].Status == Protocol.Status.Ok)
                        yield return UserStateSerializer.Deserialize(request.States[i].Span).UserId;
                }
                break;
        }
    }

    private static byte[] Batch(long user)
    {
        var request = new BatchGetRequest();
        request.Keys.Add(new Key { ModelVersion = TestStates.Model, UserId = user });
        request.Keys.Add(new Key { ModelVersion = TestStates.Model, UserId = user + 1 });
        return request.ToByteArray();
    }

    private static byte[] BatchPut(long user, long counter)
    {
        var request = new BatchPutRequest();
        request.States.Add(Bytes(user, counter));
        request.States.Add(Bytes(user + 1, counter));
        return request.ToByteArray();
    }

    private static ByteString Bytes(long user, long counter) => ByteString.CopyFrom(UserStateSerializer.Serialize(TestStates.Make(user, counter)));
}

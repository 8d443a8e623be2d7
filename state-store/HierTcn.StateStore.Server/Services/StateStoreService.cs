using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using HierTcn.Formats.State;
using HierTcn.StateStore.Protocol;
using HierTcn.StateStore.Server.Internal;
using Microsoft.Extensions.Options;

namespace HierTcn.StateStore.Server.Services;

/// <summary>The gRPC face of the engine (protos/statestore.proto). Store outcomes travel as statuses in the
/// responses; a malformed request fails the call with INVALID_ARGUMENT naming the field.</summary>
internal sealed class StateStoreService(EngineHost host, ServerMetrics metrics, IOptions<StateStoreServerOptions> options, ILogger<StateStoreService> logger)
    : Protocol.StateStore.StateStoreBase
{
    private readonly StateStoreServerOptions _options = options.Value;

    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        var engine = await EngineAsync().ConfigureAwait(false);
        var result = await engine.GetAsync(KeyOf(request.Key, "Get", "key"), context.CancellationToken).ConfigureAwait(false);
        metrics.Observe("Get", result.Status, start);
        return ToResponse(result, engine.Options.WriteRecordFormat);
    }

    public override async Task<BatchGetResponse> BatchGet(BatchGetRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        CheckBatch("BatchGet", request.Keys.Count);
        var engine = await EngineAsync().ConfigureAwait(false);
        var response = new BatchGetResponse();
        for (int i = 0; i < request.Keys.Count; i++)
        {
            var result = await engine.GetAsync(KeyOf(request.Keys[i], "BatchGet", $"keys[{i}]"), context.CancellationToken).ConfigureAwait(false);
            response.Results.Add(ToResponse(result, engine.Options.WriteRecordFormat));
        }
        metrics.Observe("BatchGet", StoreStatus.Ok, start);
        return response;
    }

    public override async Task<WriteResponse> Put(PutRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        var state = StateOf(request.State, "Put", "state");
        var engine = await EngineAsync().ConfigureAwait(false);
        var result = await engine.PutAsync(state, context.CancellationToken).ConfigureAwait(false);
        metrics.Observe("Put", result.Status, start);
        return ToResponse(result);
    }

    public override async Task<BatchWriteResponse> BatchPut(BatchPutRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        CheckBatch("BatchPut", request.States.Count);
        var engine = await EngineAsync().ConfigureAwait(false);
        var states = new UserState?[request.States.Count];
        var errors = new string?[states.Length];
        for (int i = 0; i < states.Length; i++)
        {
            // Every key is checked before any write starts: a batch for the wrong shard writes nothing.
            if (!UserStateSerializer.TryDeserialize(request.States[i].Span, out states[i], out errors[i]))
                continue;
            if (NotOwned(new StateKey(states[i]!.ModelVersion, states[i]!.UserId)) is { } wrong)
                throw WrongShard("BatchPut", $"states[{i}]: {wrong}");
        }
        var tasks = new Task<WriteResult>[states.Length];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = states[i] is { } state
                ? engine.PutAsync(state, context.CancellationToken).AsTask()
                : Task.FromResult(new WriteResult(StoreStatus.InvalidArgument, 0, $"states[{i}]: {errors[i]}"));
        }
        var response = new BatchWriteResponse();
        foreach (var result in await Task.WhenAll(tasks).ConfigureAwait(false))
            response.Results.Add(ToResponse(result));
        metrics.Observe("BatchPut", StoreStatus.Ok, start);
        return response;
    }

    public override async Task<WriteResponse> CompareAndSwap(CompareAndSwapRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        var state = StateOf(request.State, "CompareAndSwap", "state");
        var engine = await EngineAsync().ConfigureAwait(false);
        var result = await engine.CompareAndSwapAsync(state, request.ExpectedVersion, context.CancellationToken).ConfigureAwait(false);
        metrics.Observe("CompareAndSwap", result.Status, start);
        return ToResponse(result);
    }

    public override async Task<WriteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        var engine = await EngineAsync().ConfigureAwait(false);
        var result = await engine.DeleteAsync(KeyOf(request.Key, "Delete", "key"), context.CancellationToken).ConfigureAwait(false);
        metrics.Observe("Delete", result.Status, start);
        return ToResponse(result);
    }

    public override async Task Apply(IAsyncStreamReader<ApplyRequest> requestStream, IServerStreamWriter<ApplyAck> responseStream, ServerCallContext context)
    {
        var engine = await EngineAsync().ConfigureAwait(false);
        var acks = Channel.CreateUnbounded<ApplyAck>(new UnboundedChannelOptions { SingleReader = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var ack in acks.Reader.ReadAllAsync().ConfigureAwait(false))
                await responseStream.WriteAsync(ack).ConfigureAwait(false);
        });
        using var slots = new SemaphoreSlim(_options.ApplyConcurrency);
        long count = 0;
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await slots.WaitAsync(context.CancellationToken).ConfigureAwait(false);
                count++;
                _ = ApplyOneAsync(engine, request, acks.Writer, slots);
            }
        }
        finally
        {
            // Wait for the writes in flight so their acks go out before the call ends.
            for (int i = 0; i < _options.ApplyConcurrency; i++)
                await slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            acks.Writer.Complete();
            await writer.ConfigureAwait(false);
            ServerLog.ApplyEnded(logger, count);
        }
    }

    private async Task ApplyOneAsync(StateStoreEngine engine, ApplyRequest request, ChannelWriter<ApplyAck> acks, SemaphoreSlim slots)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            WriteResult result;
            UserState? state;
            string? error;
            string? wrong = null;
            switch (request.OperationCase)
            {
                case ApplyRequest.OperationOneofCase.Put:
                    result = !UserStateSerializer.TryDeserialize(request.Put.State.Span, out state, out error)
                        ? new WriteResult(StoreStatus.InvalidArgument, 0, "put.state: " + error)
                        : (wrong = NotOwned(new StateKey(state.ModelVersion, state.UserId))) is not null
                            ? new WriteResult(StoreStatus.InvalidArgument, 0, wrong)
                            : await engine.PutAsync(state).ConfigureAwait(false);
                    break;
                case ApplyRequest.OperationOneofCase.CompareAndSwap:
                    result = !UserStateSerializer.TryDeserialize(request.CompareAndSwap.State.Span, out state, out error)
                        ? new WriteResult(StoreStatus.InvalidArgument, 0, "compare_and_swap.state: " + error)
                        : (wrong = NotOwned(new StateKey(state.ModelVersion, state.UserId))) is not null
                            ? new WriteResult(StoreStatus.InvalidArgument, 0, wrong)
                            : await engine.CompareAndSwapAsync(state, request.CompareAndSwap.ExpectedVersion).ConfigureAwait(false);
                    break;
                case ApplyRequest.OperationOneofCase.Delete when request.Delete.Key is { } key:
                    var deleteKey = new StateKey(key.ModelVersion, key.UserId);
                    result = (wrong = NotOwned(deleteKey)) is not null
                        ? new WriteResult(StoreStatus.InvalidArgument, 0, wrong)
                        : await engine.DeleteAsync(deleteKey).ConfigureAwait(false);
                    break;
                default:
                    result = new WriteResult(StoreStatus.InvalidArgument, 0, "the request is malformed or carries no put, compare_and_swap or delete (with a key)");
                    break;
            }
            if (wrong is null)
            {
                metrics.Observe("Apply", result.Status, start);
            }
            else
            {
                // As a unary call with a key of another shard: counted as wrong_shard, not as a bad request.
                ServerLog.Rejected(logger, "Apply", wrong);
                metrics.Rejected("Apply", "wrong_shard");
            }
            acks.TryWrite(new ApplyAck { Id = request.Id, Result = ToResponse(result) });
        }
        finally
        {
            slots.Release();
        }
    }

    private StateKey KeyOf(Key? key, string method, string field)
    {
        if (key is null)
            throw Invalid(method, $"{field} is required");
        if (key.ModelVersion.Length == 0)
            throw Invalid(method, $"{field}.model_version is empty");
        if (key.UserId < 0)
            throw Invalid(method, $"{field}.user_id is {key.UserId}; user ids are not negative");
        var stateKey = new StateKey(key.ModelVersion, key.UserId);
        return NotOwned(stateKey) is { } wrong ? throw WrongShard(method, wrong) : stateKey;
    }

    private UserState StateOf(ByteString bytes, string method, string field)
    {
        if (!UserStateSerializer.TryDeserialize(bytes.Span, out var state, out var error))
            throw Invalid(method, $"{field}: {error}");
        return NotOwned(new StateKey(state.ModelVersion, state.UserId)) is { } wrong ? throw WrongShard(method, wrong) : state;
    }

    /// <summary>Null when this shard owns <paramref name="key"/>; otherwise the message saying whose it is.</summary>
    private string? NotOwned(StateKey key)
    {
        int owner = ShardHash.ShardOf(key, _options.ShardCount);
        return owner == _options.EffectiveShardIndex
            ? null
            : $"key {key} belongs to shard {owner} of {_options.ShardCount}, this is shard {_options.EffectiveShardIndex}: the client's shard list is wrong (order or count); fix it rather than retrying";
    }

    private RpcException WrongShard(string method, string reason)
    {
        ServerLog.Rejected(logger, method, reason);
        metrics.Rejected(method, "wrong_shard");
        return new RpcException(new Grpc.Core.Status(StatusCode.FailedPrecondition, reason));
    }

    /// <summary>The engine; a shard that refuses to serve (damaged files) fails the call with UNAVAILABLE and the
    /// reason and repair command.</summary>
    private async Task<StateStoreEngine> EngineAsync()
    {
        try
        {
            return await host.Engine.ConfigureAwait(false);
        }
        catch (StateStoreDamagedException ex)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the state store shard refuses to serve: " + ex.Message));
        }
    }

    private void CheckBatch(string method, int count)
    {
        if (count > _options.MaxBatchItems)
            throw Invalid(method, $"{count} items in one batch, at most {_options.MaxBatchItems} (StateStoreServer:MaxBatchItems)");
    }

    private RpcException Invalid(string method, string reason)
    {
        ServerLog.Rejected(logger, method, reason);
        metrics.Rejected(method, "invalid_argument");
        return new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, reason));
    }

    /// <summary>The answer to a read; the state in the record format the engine writes, so that while it writes format
    /// 1 (a rolling upgrade) builds that read only format 1 can read every state, also those stored in format 2.</summary>
    private static GetResponse ToResponse(ReadResult result, int format)
    {
        var response = new GetResponse { Status = ToStatus(result.Status), Error = result.Error ?? "" };
        if (result.State is { } state)
        {
            response.State = UnsafeByteOperations.UnsafeWrap(UserStateSerializer.Serialize(state, (ushort)format));
            response.Version = state.Version;
        }
        return response;
    }

    private static WriteResponse ToResponse(WriteResult result)
        => new() { Status = ToStatus(result.Status), Version = result.Version, Error = result.Error ?? "" };

    private static Protocol.Status ToStatus(StoreStatus status) => status switch
    {
        StoreStatus.Ok => Protocol.Status.Ok,
        StoreStatus.NotFound => Protocol.Status.NotFound,
        StoreStatus.VersionMismatch => Protocol.Status.VersionMismatch,
        StoreStatus.WritesRefused => Protocol.Status.WritesRefused,
        StoreStatus.Damaged => Protocol.Status.Damaged,
        _ => Protocol.Status.InvalidArgument,
    };
}

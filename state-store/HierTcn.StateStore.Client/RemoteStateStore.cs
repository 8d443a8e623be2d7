using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using HierTcn.Formats.State;
using HierTcn.Security;
using HierTcn.StateStore.Client.Internal;
using HierTcn.StateStore.Protocol;

namespace HierTcn.StateStore.Client;

/// <summary>
/// <see cref="IStateStore"/> over gRPC: each key goes to the shard <see cref="ShardHash.ShardOf"/> picks from
/// <see cref="RemoteStateStoreOptions.Shards"/>; batches are split by shard and sent in parallel. A shard that
/// cannot be reached (or misses the deadline) yields <see cref="StoreStatus.Unavailable"/> for its keys; so does a
/// shard that refuses a key as not its own, with an error saying that the shard list is wrong. The error of such a
/// result is never empty: it names the gRPC status code and the shard, then the reason.
/// </summary>
public sealed class RemoteStateStore : IStateStore
{
    private readonly RemoteStateStoreOptions _options;
    private readonly ClientHandler _handler;
    private readonly GrpcChannel[] _channels;
    private readonly Protocol.StateStore.StateStoreClient[] _clients;

    /// <summary>Creates channels to every shard (connections open lazily), with the TLS trust, client certificate and
    /// token of <see cref="RemoteStateStoreOptions.Security"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="InvalidDataException">A certificate, key or token file cannot be read or parsed.</exception>
    public RemoteStateStore(RemoteStateStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("invalid remote state store options: " + string.Join("; ", errors), nameof(options));
        _options = options;
        _handler = new ClientHandler(options.Security);
        _channels = [.. options.Shards.Select(address => GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = options.MaxMessageBytes,
            MaxSendMessageSize = options.MaxMessageBytes,
            HttpHandler = _handler,
            DisposeHttpClient = false,
        }))];
        _clients = [.. _channels.Select(channel => new Protocol.StateStore.StateStoreClient(channel))];
    }

    /// <summary>The handler every shard channel shares (its reloaded token and certificate files).</summary>
    internal ClientHandler Handler => _handler;

    /// <summary>Number of shards.</summary>
    public int ShardCount => _clients.Length;

    /// <inheritdoc/>
    public async ValueTask<ReadResult> GetAsync(StateKey key, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await ClientFor(key).GetAsync(new GetRequest { Key = ProtocolMapping.ToKey(key) }, Options(cancellationToken)).ConfigureAwait(false);
            return ProtocolMapping.ToReadResult(response);
        }
        catch (RpcException ex)
        {
            return ReadFailure(ex, ShardOf(key));
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<ReadResult>> GetManyAsync(IReadOnlyList<StateKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var results = new ReadResult[keys.Count];
        await Task.WhenAll(GroupByShard(keys.Count, i => keys[i]).Select(async group =>
        {
            var request = new BatchGetRequest();
            request.Keys.AddRange(group.Indices.Select(i => ProtocolMapping.ToKey(keys[i])));
            try
            {
                var response = await _clients[group.Shard].BatchGetAsync(request, Options(cancellationToken)).ConfigureAwait(false);
                for (int j = 0; j < group.Indices.Count; j++)
                    results[group.Indices[j]] = ProtocolMapping.ToReadResult(response.Results[j]);
            }
            catch (RpcException ex)
            {
                foreach (int i in group.Indices)
                    results[i] = ReadFailure(ex, group.Shard);
            }
        })).ConfigureAwait(false);
        return results;
    }

    /// <inheritdoc/>
    public async ValueTask<WriteResult> PutAsync(UserState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            var response = await ClientFor(state).PutAsync(new PutRequest { State = ProtocolMapping.ToBytes(state, _options.WriteRecordFormat) }, Options(cancellationToken)).ConfigureAwait(false);
            return Applied(state, ProtocolMapping.ToWriteResult(response));
        }
        catch (RpcException ex)
        {
            return WriteFailure(ex, ShardOf(state));
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<WriteResult>> PutManyAsync(IReadOnlyList<UserState> states, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        var results = new WriteResult[states.Count];
        await Task.WhenAll(GroupByShard(states.Count, i => new StateKey(states[i].ModelVersion, states[i].UserId)).Select(async group =>
        {
            var request = new BatchPutRequest();
            request.States.AddRange(group.Indices.Select(i => ProtocolMapping.ToBytes(states[i], _options.WriteRecordFormat)));
            try
            {
                var response = await _clients[group.Shard].BatchPutAsync(request, Options(cancellationToken)).ConfigureAwait(false);
                for (int j = 0; j < group.Indices.Count; j++)
                    results[group.Indices[j]] = Applied(states[group.Indices[j]], ProtocolMapping.ToWriteResult(response.Results[j]));
            }
            catch (RpcException ex)
            {
                foreach (int i in group.Indices)
                    results[i] = WriteFailure(ex, group.Shard);
            }
        })).ConfigureAwait(false);
        return results;
    }

    /// <inheritdoc/>
    public async ValueTask<WriteResult> CompareAndSwapAsync(UserState state, ulong expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            var request = new CompareAndSwapRequest { State = ProtocolMapping.ToBytes(state, _options.WriteRecordFormat), ExpectedVersion = expectedVersion };
            var response = await ClientFor(state).CompareAndSwapAsync(request, Options(cancellationToken)).ConfigureAwait(false);
            return Applied(state, ProtocolMapping.ToWriteResult(response));
        }
        catch (RpcException ex)
        {
            return WriteFailure(ex, ShardOf(state));
        }
    }

    /// <inheritdoc/>
    public async ValueTask<WriteResult> DeleteAsync(StateKey key, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await ClientFor(key).DeleteAsync(new DeleteRequest { Key = ProtocolMapping.ToKey(key) }, Options(cancellationToken)).ConfigureAwait(false);
            return ProtocolMapping.ToWriteResult(response);
        }
        catch (RpcException ex)
        {
            return WriteFailure(ex, ShardOf(key));
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
            channel.Dispose();
        _handler.Dispose();
        return ValueTask.CompletedTask;
    }

    private Protocol.StateStore.StateStoreClient ClientFor(StateKey key) => _clients[ShardOf(key)];

    private Protocol.StateStore.StateStoreClient ClientFor(UserState state) => _clients[ShardOf(state)];

    private int ShardOf(StateKey key) => ShardHash.ShardOf(key, _clients.Length);

    private int ShardOf(UserState state) => ShardOf(new StateKey(state.ModelVersion, state.UserId));

    private CallOptions Options(CancellationToken cancellationToken) => new(deadline: DateTime.UtcNow + _options.CallTimeout, cancellationToken: cancellationToken);

    private IEnumerable<(int Shard, List<int> Indices)> GroupByShard(int count, Func<int, StateKey> keyAt)
    {
        var groups = new Dictionary<int, List<int>>();
        for (int i = 0; i < count; i++)
        {
            int shard = ShardHash.ShardOf(keyAt(i), _clients.Length);
            if (!groups.TryGetValue(shard, out var list))
                groups[shard] = list = [];
            list.Add(i);
        }
        return groups.Select(pair => (pair.Key, pair.Value));
    }

    private static WriteResult Applied(UserState state, WriteResult result)
    {
        if (result.IsOk)
            state.Version = result.Version;
        return result;
    }

    private ReadResult ReadFailure(RpcException ex, int shard) => new(MapRpcStatus(ex), null, ErrorOf(ex, shard));

    private WriteResult WriteFailure(RpcException ex, int shard) => new(MapRpcStatus(ex), 0, ErrorOf(ex, shard));

    /// <summary>Why a call failed: the gRPC status code and the shard, then the reason. The client reports a missed
    /// deadline with an empty detail, so that one is spelled out here; FAILED_PRECONDITION is a shard refusing a key
    /// that is not its own: the configured shard list is wrong.</summary>
    private string ErrorOf(RpcException ex, int shard)
    {
        string reason = ex.StatusCode switch
        {
            StatusCode.DeadlineExceeded => string.Create(CultureInfo.InvariantCulture,
                $"no answer within RemoteStateStoreOptions.CallTimeout ({_options.CallTimeout.TotalSeconds:0.###} s); the shard is overloaded, stalled or unreachable{Suffix(ex.Status.Detail)}"),
            StatusCode.FailedPrecondition => "the state store shard list (RemoteStateStoreOptions.Shards) does not match the shards" + Suffix(ex.Status.Detail),
            _ => ex.Status.Detail.Length > 0 ? ex.Status.Detail : "no detail given",
        };
        return $"gRPC status {ex.StatusCode} from shard {shard} ({_options.Shards[shard]}): {reason}";
    }

    private static string Suffix(string detail) => detail.Length > 0 ? ": " + detail : "";

    private static StoreStatus MapRpcStatus(RpcException ex) => ex.StatusCode switch
    {
        StatusCode.InvalidArgument => StoreStatus.InvalidArgument,
        StatusCode.Cancelled => throw new OperationCanceledException(ex.Status.Detail, ex),
        _ => StoreStatus.Unavailable,
    };
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using HierTcn.Formats.State;
using HierTcn.StateStore.Client.Internal;
using HierTcn.StateStore.Internal;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HierTcn.StateStore.Client;

/// <summary>
/// <see cref="IStateStore"/> on a RESP cluster (Redis Cluster or Garnet in cluster mode) through StackExchange.Redis:
/// the cluster places keys by its hash slots, replicates and fails over. A user is one hash key (the version and the
/// serialized state); every write is one Lua script, so the compare-and-swap on the version is atomic on the
/// primary of the key's slot. Batches are pipelined. A node that cannot be reached, a missed deadline or a cluster
/// refusing the slot yield <see cref="StoreStatus.Unavailable"/>. Durability is the servers' (AOF, fsync policy)
/// plus, with <see cref="RespStateStoreOptions.WaitForReplicas"/>, the replicas': the script then names the node
/// that ran it, and WAIT goes to that node (during a slot migration a write sent on with ASK runs on the importing
/// node, not on the slot's owner in the client's map).
/// </summary>
public sealed class RespStateStore : IStateStore
{
    private static readonly RedisValue[] Fields = ["v", "s"];
    private readonly RespStateStoreOptions _options;
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _database;
    private readonly byte[] _prefix;
    private readonly RedisValue _ttl;

    /// <summary>ARGV[5] of the script: "1" asks for the id of the node that ran it (only needed to WAIT on it).</summary>
    private readonly RedisValue _nameNode;

    /// <summary>Node id (CLUSTER MYID) to the server the client reaches it on, learned from the servers' own CLUSTER
    /// NODES (the "myself" line).</summary>
    private readonly ConcurrentDictionary<string, IServer> _servers = new(StringComparer.Ordinal);

    private RespStateStore(RespStateStoreOptions options, ConnectionMultiplexer connection)
    {
        _options = options;
        _connection = connection;
        _database = connection.GetDatabase();
        _prefix = System.Text.Encoding.UTF8.GetBytes(options.KeyPrefix);
        _ttl = (long)options.UserTtl.TotalMilliseconds;
        _nameNode = options.WaitForReplicas > 0 ? "1" : "0";
    }

    /// <summary>Connects to the cluster (waiting up to <see cref="RespStateStoreOptions.ConnectTimeout"/>; an
    /// unreachable cluster still opens, and calls answer <see cref="StoreStatus.Unavailable"/> until it is up).</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="InvalidDataException">A certificate, key or password file cannot be read or parsed.</exception>
    public static async Task<RespStateStore> ConnectAsync(RespStateStoreOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("invalid RESP state store options: " + string.Join("; ", errors), nameof(options));
        var connection = await ConnectionMultiplexer.ConnectAsync(RespConnection.Configure(options, loggerFactory)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return new RespStateStore(options, connection);
    }

    /// <summary>The key of a user in the cluster: <see cref="RespStateStoreOptions.KeyPrefix"/>, then the engine's
    /// key bytes.</summary>
    internal RedisKey KeyOf(StateKey key) => (RedisKey)_prefix.Concat(KeyCodec.Encode(key)).ToArray();

    /// <inheritdoc/>
    public async ValueTask<ReadResult> GetAsync(StateKey key, CancellationToken cancellationToken = default)
    {
        if (KeyCodec.Check(key) is { } invalid)
            return new ReadResult(StoreStatus.InvalidArgument, null, invalid);
        try
        {
            var redisKey = KeyOf(key);
            var fields = await WithinDeadlineAsync(() => _database.HashGetAsync(redisKey, Fields), cancellationToken).ConfigureAwait(false);
            return ToReadResult(key, fields);
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            return new ReadResult(StoreStatus.Unavailable, null, ErrorOf(ex));
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<ReadResult>> GetManyAsync(IReadOnlyList<StateKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var results = new ReadResult[keys.Count];
        var pending = new Task<RedisValue[]>?[keys.Count];
        var batch = _database.CreateBatch();
        for (int i = 0; i < keys.Count; i++)
        {
            if (KeyCodec.Check(keys[i]) is { } invalid)
                results[i] = new ReadResult(StoreStatus.InvalidArgument, null, invalid);
            else
                pending[i] = batch.HashGetAsync(KeyOf(keys[i]), Fields);
        }
        batch.Execute();
        await Settle(pending, cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < keys.Count; i++)
        {
            if (pending[i] is not { } task)
                continue;
            results[i] = task.IsCompletedSuccessfully
                ? ToReadResult(keys[i], task.Result)
                : new ReadResult(StoreStatus.Unavailable, null, FailureOf(task));
        }
        return results;
    }

    /// <inheritdoc/>
    public ValueTask<WriteResult> PutAsync(UserState state, CancellationToken cancellationToken = default)
        => WriteAsync(state, RespWriteScript.Put, 0, cancellationToken);

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<WriteResult>> PutManyAsync(IReadOnlyList<UserState> states, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        var results = new WriteResult[states.Count];
        var pending = new Task<RedisResult>?[states.Count];
        var keys = new RedisKey[states.Count];
        var batch = _database.CreateBatch();
        for (int i = 0; i < states.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(states[i], nameof(states));
            if (Prepare(states[i], out var bytes) is { } refused)
            {
                results[i] = refused;
                continue;
            }
            keys[i] = KeyOf(new StateKey(states[i].ModelVersion, states[i].UserId));
            pending[i] = batch.ScriptEvaluateAsync(RespWriteScript.Source, [keys[i]], [RespWriteScript.Put, 0, bytes, _ttl, _nameNode]);
        }
        batch.Execute();
        await Settle(pending, cancellationToken).ConfigureAwait(false);
        var ranOn = new string?[states.Count];
        for (int i = 0; i < states.Count; i++)
        {
            if (pending[i] is not { } task)
                continue;
            results[i] = task.IsCompletedSuccessfully ? ToWriteResult(task.Result) : new WriteResult(StoreStatus.Unavailable, 0, FailureOf(task));
            if (task.IsCompletedSuccessfully)
                ranOn[i] = NodeOf(task.Result);
        }
        var written = Enumerable.Range(0, states.Count).Where(i => results[i].IsOk).ToList();
        if (written.Count > 0 && _options.WaitForReplicas > 0)
        {
            var notReplicated = await WaitForReplicasAsync(written.Select(i => ranOn[i]), cancellationToken).ConfigureAwait(false);
            foreach (int i in written)
            {
                if (notReplicated.GetValueOrDefault(ranOn[i] ?? "") is { } reason)
                    results[i] = new WriteResult(StoreStatus.Unavailable, 0, reason);
            }
        }
        for (int i = 0; i < states.Count; i++)
        {
            if (results[i].IsOk)
                states[i].Version = results[i].Version;
        }
        return results;
    }

    /// <inheritdoc/>
    public ValueTask<WriteResult> CompareAndSwapAsync(UserState state, ulong expectedVersion, CancellationToken cancellationToken = default)
        => WriteAsync(state, RespWriteScript.CompareAndSwap, expectedVersion, cancellationToken);

    /// <inheritdoc/>
    public async ValueTask<WriteResult> DeleteAsync(StateKey key, CancellationToken cancellationToken = default)
    {
        if (KeyCodec.Check(key) is { } invalid)
            return new WriteResult(StoreStatus.InvalidArgument, 0, invalid);
        return await RunScriptAsync(KeyOf(key), [RespWriteScript.Delete, 0, RedisValue.EmptyString, _ttl, _nameNode], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>With <see cref="RespStateStoreOptions.WaitForReplicas"/> 0 this answers Ok without a call (an Ok write
    /// needs nothing beyond the primary); above 0 the script writes the version field again, unchanged, on the node that
    /// has the state (so the write that put it there and everything before it on that primary is shipped again), and
    /// WAIT on that node, as after a write, decides the answer.</remarks>
    public async ValueTask<WriteResult> ConfirmDurableAsync(StateKey key, ulong version, CancellationToken cancellationToken = default)
    {
        if (KeyCodec.Check(key) is { } invalid)
            return new WriteResult(StoreStatus.InvalidArgument, 0, invalid);
        if (_options.WaitForReplicas == 0)
            return new WriteResult(StoreStatus.Ok, version);
        return await RunScriptAsync(KeyOf(key), [RespWriteScript.Rewrite, version.ToString(CultureInfo.InvariantCulture), RedisValue.EmptyString, _ttl, _nameNode],
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await _connection.DisposeAsync().ConfigureAwait(false);

    private async ValueTask<WriteResult> WriteAsync(UserState state, string operation, ulong expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (Prepare(state, out var bytes) is { } refused)
            return refused;
        var key = KeyOf(new StateKey(state.ModelVersion, state.UserId));
        var result = await RunScriptAsync(key, [operation, expectedVersion.ToString(CultureInfo.InvariantCulture), bytes, _ttl, _nameNode], cancellationToken).ConfigureAwait(false);
        if (result.IsOk)
            state.Version = result.Version;
        return result;
    }

    private async ValueTask<WriteResult> RunScriptAsync(RedisKey key, RedisValue[] arguments, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await WithinDeadlineAsync(() => _database.ScriptEvaluateAsync(RespWriteScript.Source, [key], arguments), cancellationToken).ConfigureAwait(false);
            var result = ToWriteResult(reply);
            if (result.IsOk && _options.WaitForReplicas > 0)
            {
                string? node = NodeOf(reply);
                var notReplicated = await WaitForReplicasAsync([node], cancellationToken).ConfigureAwait(false);
                if (notReplicated.GetValueOrDefault(node ?? "") is { } reason)
                    return new WriteResult(StoreStatus.Unavailable, 0, reason);
            }
            return result;
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            return new WriteResult(StoreStatus.Unavailable, 0, ErrorOf(ex));
        }
    }

    /// <summary>Runs <paramref name="call"/> until it answers or <see cref="RespStateStoreOptions.CallTimeout"/> has
    /// passed. A command that no node executed because the node it belongs to has no connection yet (one just learned
    /// from a MOVED or ASK redirection, when a slot moves to a new primary or a replica is promoted, or one
    /// reconnecting) is sent again after a pause (10 ms, doubling up to 200 ms): a moving slot costs latency, not an
    /// error. Nothing else is retried.</summary>
    private async Task<T> WithinDeadlineAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        int pauseMs = 10;
        while (true)
        {
            var left = _options.CallTimeout - Stopwatch.GetElapsedTime(start);
            try
            {
                return await call().WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisConnectionException ex) when (ex.FailureType is ConnectionFailureType.UnableToConnect or ConnectionFailureType.UnableToResolvePhysicalConnection
                && Stopwatch.GetElapsedTime(start) + TimeSpan.FromMilliseconds(pauseMs) < _options.CallTimeout)
            {
                await Task.Delay(pauseMs, cancellationToken).ConfigureAwait(false);
                pauseMs = Math.Min(pauseMs * 2, 200);
            }
        }
    }

    /// <summary>Why each node in <paramref name="nodes"/> (the ids the script returned; null: none returned) does
    /// not have this client's writes on <see cref="RespStateStoreOptions.WaitForReplicas"/> replicas; a node that
    /// has them is left out. WAIT goes to the node that ran the write, on the connection that wrote it: after an ASK
    /// redirection that is the importing node, not the slot's owner in the client's map, whose replicas say nothing
    /// about the write. A node the client cannot name a connection for is refused, never assumed replicated.</summary>
    private async ValueTask<Dictionary<string, string>> WaitForReplicasAsync(IEnumerable<string?> nodes, CancellationToken cancellationToken)
    {
        int wanted = _options.WaitForReplicas;
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        var servers = new List<(string Node, IServer Server)>();
        foreach (string? node in nodes.Distinct())
        {
            if (node is null)
                reasons[""] = "written on the primary, but the write script did not name the node that ran it, so no replica wait covers it";
            else if (ServerOfNode(node) is { } server)
                servers.Add((node, server));
            else
                reasons[node] = $"written on node {node}, which this client has no connection to (to WAIT on); it may be lost if that node fails";
        }
        long timeoutMs = (long)_options.ReplicaWaitTimeout.TotalMilliseconds;
        try
        {
            var replies = await Task.WhenAll(servers.Select(s => s.Server.ExecuteAsync("WAIT", wanted, timeoutMs)))
                .WaitAsync(_options.CallTimeout + _options.ReplicaWaitTimeout, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < servers.Count; i++)
            {
                long acknowledged = (long)replies[i];
                if (acknowledged < wanted)
                    reasons[servers[i].Node] = $"written on primary {servers[i].Server.EndPoint} but {acknowledged} of {wanted} replicas acknowledged it within {_options.ReplicaWaitTimeout}; it may be lost if that primary fails";
            }
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            foreach (var (node, _) in servers)
                reasons[node] = "written on the primary, waiting for replicas failed: " + ErrorOf(ex);
        }
        return reasons;
    }

    /// <summary>The server of the node with id <paramref name="node"/>, from each server's own view of the cluster
    /// (its "myself" line of CLUSTER NODES, which the client reads when it connects); null when no server the client
    /// knows is that node.</summary>
    private IServer? ServerOfNode(string node)
    {
        if (_servers.TryGetValue(node, out var known))
            return known;
        foreach (var server in _connection.GetServers())
        {
            if (server.ClusterConfiguration?.Nodes.FirstOrDefault(n => n.IsMyself)?.NodeId is { } id)
                _servers[id] = server;
        }
        return _servers.GetValueOrDefault(node);
    }

    /// <summary>The node id the write script returned (asked for with <see cref="_nameNode"/>), or null.</summary>
    private static string? NodeOf(RedisResult reply)
        => (RedisResult[])reply! is { Length: > 2 } parts ? (string?)parts[2] : null;

    /// <summary>Null when <paramref name="state"/> can be written (its bytes in <paramref name="bytes"/>), else the
    /// InvalidArgument result.</summary>
    private WriteResult? Prepare(UserState state, out byte[] bytes)
    {
        bytes = [];
        var key = new StateKey(state.ModelVersion, state.UserId);
        if (KeyCodec.Check(key) is { } invalid)
            return new WriteResult(StoreStatus.InvalidArgument, 0, invalid);
        try
        {
            ushort format = (ushort)_options.WriteRecordFormat;
            int size = UserStateSerializer.GetSize(state, format);
            if (size > _options.MaxStateBytes)
                return new WriteResult(StoreStatus.InvalidArgument, 0, $"state of {key} is {size} bytes, more than MaxStateBytes ({_options.MaxStateBytes})");
            bytes = UserStateSerializer.Serialize(state, format);
            return null;
        }
        catch (ArgumentException ex)
        {
            return new WriteResult(StoreStatus.InvalidArgument, 0, $"state of {key}: {ex.Message}");
        }
    }

    private static ReadResult ToReadResult(StateKey key, RedisValue[] fields)
    {
        if (fields.Length != 2 || fields[1].IsNull)
            return ReadResult.NotFound;
        string? error = null;
        if (!ulong.TryParse((string?)fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong version)
            || !UserStateSerializer.TryDeserialize((byte[])fields[1]!, out var state, out error))
            return new ReadResult(StoreStatus.Damaged, null, $"the state stored under {key} is damaged ({error ?? "bad version field"}); a Put or Delete replaces it");
        if (state.ModelVersion != key.ModelVersion || state.UserId != key.UserId)
            return new ReadResult(StoreStatus.Damaged, null, $"the state stored under {key} belongs to ({state.ModelVersion}, {state.UserId})");
        state.Version = version;
        return new ReadResult(StoreStatus.Ok, state);
    }

    private static WriteResult ToWriteResult(RedisResult reply)
    {
        var parts = (RedisResult[])reply!;
        long status = (long)parts[0];
        ulong version = (ulong)(long)parts[1];
        return status switch
        {
            RespWriteScript.Applied => new WriteResult(StoreStatus.Ok, version),
            RespWriteScript.Mismatch => new WriteResult(StoreStatus.VersionMismatch, version),
            _ => new WriteResult(StoreStatus.NotFound, 0),
        };
    }

    /// <summary>Waits for every task, up to the call deadline; tasks still running then count as failed.</summary>
    private async Task Settle<T>(Task<T>?[] pending, CancellationToken cancellationToken)
    {
        var all = Task.WhenAll(pending.OfType<Task<T>>());
        try
        {
            await all.WaitAsync(_options.CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            // Each task's own outcome is read by the caller.
        }
    }

    private string FailureOf(Task task) => task.Exception?.InnerException is { } ex
        ? ErrorOf(ex)
        : $"no answer within CallTimeout ({_options.CallTimeout})";

    private static bool IsUnavailable(Exception ex, CancellationToken cancellationToken)
        => !cancellationToken.IsCancellationRequested && ex is RedisException or TimeoutException;

    private static string ErrorOf(Exception ex) => ex is TimeoutException and not RedisTimeoutException
        ? "the RESP cluster did not answer within CallTimeout"
        : "the RESP cluster: " + ex.Message;
}

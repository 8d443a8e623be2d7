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
/// plus, with <see cref="RespStateStoreOptions.WaitForReplicas"/>, the replicas'.
/// </summary>
public sealed class RespStateStore : IStateStore
{
    private static readonly RedisValue[] Fields = ["v", "s"];
    private readonly RespStateStoreOptions _options;
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _database;
    private readonly byte[] _prefix;
    private readonly RedisValue _ttl;

    private RespStateStore(RespStateStoreOptions options, ConnectionMultiplexer connection)
    {
        _options = options;
        _connection = connection;
        _database = connection.GetDatabase();
        _prefix = System.Text.Encoding.UTF8.GetBytes(options.KeyPrefix);
        _ttl = (long)options.UserTtl.TotalMilliseconds;
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
            pending[i] = batch.ScriptEvaluateAsync(RespWriteScript.Source, [keys[i]], [RespWriteScript.Put, 0, bytes, _ttl]);
        }
        batch.Execute();
        await Settle(pending, cancellationToken).ConfigureAwait(false);
        var written = new List<RedisKey>();
        for (int i = 0; i < states.Count; i++)
        {
            if (pending[i] is not { } task)
                continue;
            results[i] = task.IsCompletedSuccessfully ? ToWriteResult(task.Result) : new WriteResult(StoreStatus.Unavailable, 0, FailureOf(task));
            if (results[i].IsOk)
                written.Add(keys[i]);
        }
        if (written.Count > 0 && await WaitForReplicasAsync(written, cancellationToken).ConfigureAwait(false) is { } notReplicated)
        {
            for (int i = 0; i < states.Count; i++)
            {
                if (results[i].IsOk)
                    results[i] = new WriteResult(StoreStatus.Unavailable, 0, notReplicated);
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
        return await RunScriptAsync(KeyOf(key), [RespWriteScript.Delete, 0, RedisValue.EmptyString, _ttl], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await _connection.DisposeAsync().ConfigureAwait(false);

    private async ValueTask<WriteResult> WriteAsync(UserState state, string operation, ulong expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (Prepare(state, out var bytes) is { } refused)
            return refused;
        var key = KeyOf(new StateKey(state.ModelVersion, state.UserId));
        var result = await RunScriptAsync(key, [operation, expectedVersion.ToString(CultureInfo.InvariantCulture), bytes, _ttl], cancellationToken).ConfigureAwait(false);
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
            if (result.IsOk && await WaitForReplicasAsync([key], cancellationToken).ConfigureAwait(false) is { } notReplicated)
                return new WriteResult(StoreStatus.Unavailable, 0, notReplicated);
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

    /// <summary>Null when every primary that took one of <paramref name="keys"/> has it on
    /// <see cref="RespStateStoreOptions.WaitForReplicas"/> replicas (WAIT on the connection that wrote it), else why not.</summary>
    private async ValueTask<string?> WaitForReplicasAsync(IReadOnlyList<RedisKey> keys, CancellationToken cancellationToken)
    {
        int wanted = _options.WaitForReplicas;
        if (wanted == 0)
            return null;
        var servers = keys.Select(k => _connection.GetServer(k)).DistinctBy(s => s.EndPoint).ToList();
        long timeoutMs = (long)_options.ReplicaWaitTimeout.TotalMilliseconds;
        try
        {
            var replies = await Task.WhenAll(servers.Select(s => s.ExecuteAsync("WAIT", wanted, timeoutMs)))
                .WaitAsync(_options.CallTimeout + _options.ReplicaWaitTimeout, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < servers.Count; i++)
            {
                long acknowledged = (long)replies[i];
                if (acknowledged < wanted)
                    return $"written on primary {servers[i].EndPoint} but {acknowledged} of {wanted} replicas acknowledged it within {_options.ReplicaWaitTimeout}; it may be lost if that primary fails";
            }
            return null;
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            return "written on the primary, waiting for replicas failed: " + ErrorOf(ex);
        }
    }

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

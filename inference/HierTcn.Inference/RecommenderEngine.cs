using System.Diagnostics;
using HierTcn.Formats.State;
using HierTcn.Inference.Internal;
using HierTcn.Inference.Online;
using HierTcn.Inference.Popularity;
using HierTcn.Inference.Routing;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HierTcn.Inference;

/// <summary>
/// The recommendation engine behind the gRPC service: the loaded model versions (each with its ONNX Runtime
/// sessions, item snapshot and Recommend batcher), the sticky A/B router, the session logic over the state store,
/// hot swap of snapshots and model versions. Thread-safe; every method may be called concurrently.
/// Expected failures come back as <see cref="ServeStatus"/> values with a message, never as exceptions.
/// </summary>
public sealed partial class RecommenderEngine : IAsyncDisposable
{
    private const int LockStripes = 1024;

    private readonly RecommenderOptions _options;
    private readonly IStateStore _store;
    private readonly IRecommenderMetrics? _metrics;
    private readonly ILogger _log;
    private readonly TimeProvider _clock;
    private readonly RecentClicks? _clicks;
    private readonly SemaphoreSlim _swap = new(1, 1);
    private readonly SemaphoreSlim[] _userLocks;
    private readonly ITimer? _poll;
    private readonly List<ServedModel> _retired = [];
    private readonly ShownLists? _shown;
    private readonly System.Collections.Concurrent.ConcurrentBag<CancellationTokenSource> _readTimers = [];
    private volatile Registry _registry;
    private int _disposed;

    private sealed record Registry(IReadOnlyDictionary<string, ServedModel> Models, VersionRouter Router, IReadOnlyList<ModelArmOptions> Arms);

    private RecommenderEngine(RecommenderOptions options, IStateStore store, IRecommenderMetrics? metrics, ILogger log, TimeProvider clock,
        Registry registry, RecentClicks? clicks)
    {
        _options = options;
        _clicks = clicks;
        _store = store;
        _metrics = metrics;
        _log = log;
        _clock = clock;
        _registry = registry;
        _shown = options.OnlineMetrics.Enabled ? new ShownLists(options.OnlineMetrics.Capacity, options.OnlineMetrics.ListLength) : null;
        _userLocks = new SemaphoreSlim[LockStripes];
        for (int i = 0; i < LockStripes; i++)
        {
            _userLocks[i] = new SemaphoreSlim(1, 1);
        }
        if (options.SnapshotPollInterval > TimeSpan.Zero)
        {
            _poll = clock.CreateTimer(_ => _ = RefreshSnapshotsAsync(), null, options.SnapshotPollInterval, options.SnapshotPollInterval);
        }
    }

    /// <summary>Loads every configured model version (bundle checked, ONNX sessions created, snapshot mapped).
    /// <paramref name="clock"/> (default the system clock) is the server time: requests and events without a
    /// timestamp, the future-skew limit, deadlines and the snapshot poll all read it.</summary>
    /// <exception cref="ArgumentException">Invalid options; the message lists every problem.</exception>
    /// <exception cref="InvalidDataException">A bundle or snapshot is unusable; the message names the file and the problem.</exception>
    /// <exception cref="DirectoryNotFoundException">A bundle directory is missing.</exception>
    public static RecommenderEngine Start(RecommenderOptions options, IStateStore store, IRecommenderMetrics? metrics = null,
        ILoggerFactory? loggerFactory = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid recommender options: " + string.Join("; ", errors));
        }
        var log = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RecommenderEngine>();
        clock ??= TimeProvider.System;
        var clicks = options.RecentClicksCapacity > 0 ? new RecentClicks(options.RecentClicksRetentionMinutes * 60_000L, options.RecentClicksCapacity) : null;
        var registry = BuildRegistry(options, options.ExperimentSalt, [.. options.Models], new Dictionary<string, ServedModel>(), clicks, metrics, log, clock, out _);
        var engine = new RecommenderEngine(options, store, metrics, log, clock, registry, clicks);
        engine.ReportLoaded();
        return engine;
    }

    /// <summary>The options the engine runs with.</summary>
    public RecommenderOptions Options => _options;

    /// <summary>The loaded model versions.</summary>
    public IReadOnlyList<string> Versions => [.. _registry.Models.Keys];

    /// <summary>The execution provider of <paramref name="version"/>'s sessions, or null when it is not loaded.</summary>
    public string? ProviderOf(string version) => _registry.Models.TryGetValue(version, out var m) ? m.Provider : null;

    /// <summary>The snapshot version <paramref name="version"/> currently scores against, or null.</summary>
    public string? SnapshotOf(string version) => _registry.Models.TryGetValue(version, out var m) ? m.CurrentSnapshot.Version : null;

    /// <summary>Requests queued for <paramref name="version"/>'s batcher (0 when not loaded).</summary>
    public int QueueDepth(string version) => _registry.Models.TryGetValue(version, out var m) ? m.Batcher.QueueDepth : 0;

    /// <summary>
    /// Hot swap of model versions: loads the versions of <paramref name="arms"/> not loaded yet, then switches the
    /// A/B router and the set of served versions at once; versions no longer listed are retired and released when
    /// their in-flight requests finish. Requests never fail because of a swap. On a load error nothing changes.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid arms.</exception>
    /// <exception cref="InvalidDataException">A new bundle or its snapshot is unusable.</exception>
    public Task ApplyArmsAsync(IReadOnlyList<ModelArmOptions> arms, CancellationToken cancellationToken = default) =>
        ApplyExperimentAsync(_registry.Router.Salt, arms, cancellationToken);

    /// <summary>The A/B salt in use.</summary>
    public string ExperimentSalt => _registry.Router.Salt;

    /// <summary>As <see cref="ApplyArmsAsync"/>, with a new A/B <paramref name="salt"/> too (a new salt reshuffles
    /// users between arms; the same salt keeps every user whose arm interval still holds the user's point).</summary>
    /// <exception cref="ArgumentException">Invalid arms or an empty salt.</exception>
    /// <exception cref="InvalidDataException">A new bundle or its snapshot is unusable.</exception>
    public async Task ApplyExperimentAsync(string salt, IReadOnlyList<ModelArmOptions> arms, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(salt);
        if (salt.Length == 0)
        {
            throw new ArgumentException("the experiment salt is empty", nameof(salt));
        }
        var check = new RecommenderOptions
        {
            BundlesDirectory = _options.BundlesDirectory,
            SnapshotsDirectory = _options.SnapshotsDirectory,
            Models = [.. arms],
        }.Validate();
        if (check.Count > 0)
        {
            throw new ArgumentException("invalid model arms: " + string.Join("; ", check));
        }
        await _swap.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var old = _registry;
            var next = BuildRegistry(_options, salt, arms, old.Models, _clicks, _metrics, _log, _clock, out var removed);
            _registry = next;
            foreach (var model in removed)
            {
                EngineLog.ModelRetired(_log, model.Version, model.Batcher.QueueDepth.ToString(System.Globalization.CultureInfo.InvariantCulture));
                model.Retire();
                lock (_retired)
                {
                    _retired.RemoveAll(r => r.IsFreed);
                    _retired.Add(model);
                }
            }
            ReportLoaded();
        }
        finally
        {
            _swap.Release();
        }
    }

    /// <summary>Follows every loaded version's snapshot <c>CURRENT</c> pointer and swaps in new snapshots; returns
    /// how many were swapped. A bad new snapshot is logged and the current one kept.</summary>
    public async Task<int> RefreshSnapshotsAsync()
    {
        if (Volatile.Read(ref _disposed) != 0 || !await _swap.WaitAsync(0).ConfigureAwait(false))
        {
            return 0;
        }
        try
        {
            int swapped = 0;
            foreach (var model in _registry.Models.Values)
            {
                try
                {
                    if (model.RefreshSnapshot())
                    {
                        swapped++;
                    }
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    EngineLog.SnapshotRefreshFailed(_log, model.Version, model.CurrentSnapshot.Version, e.Message);
                    _metrics?.SnapshotRefreshFailed(model.Version);
                }
            }
            if (swapped > 0)
            {
                ReportLoaded();
            }
            return swapped;
        }
        finally
        {
            _swap.Release();
        }
    }

    private static Registry BuildRegistry(RecommenderOptions options, string salt, IReadOnlyList<ModelArmOptions> arms,
        IReadOnlyDictionary<string, ServedModel> loaded, RecentClicks? clicks, IRecommenderMetrics? metrics, ILogger log, TimeProvider clock,
        out List<ServedModel> removed)
    {
        var router = new VersionRouter(salt, [.. arms.Select(a => new VersionWeight(a.Version, a.Weight))]);
        var models = new Dictionary<string, ServedModel>(StringComparer.Ordinal);
        var fresh = new List<ServedModel>();
        try
        {
            foreach (var arm in arms)
            {
                if (loaded.TryGetValue(arm.Version, out var existing))
                {
                    models[arm.Version] = existing;
                    continue;
                }
                string snapshots = string.IsNullOrWhiteSpace(arm.SnapshotsDirectory) ? options.SnapshotsDirectory : arm.SnapshotsDirectory;
                var model = ServedModel.Load(options.BundlesDirectory, arm.Version, snapshots, options, metrics, log, clock, clicks);
                fresh.Add(model);
                models[arm.Version] = model;
            }
        }
        catch
        {
            fresh.ForEach(m => m.Retire());
            throw;
        }
        removed = [.. loaded.Values.Where(m => !models.ContainsKey(m.Version))];
        EngineLog.ArmsApplied(log, string.Join(", ", arms.Select(a => $"{a.Version}={a.Weight}")), salt);
        return new Registry(models, router, [.. arms]);
    }

    private void ReportLoaded()
    {
        _metrics?.Loaded([.. _registry.Models.Values.Select(m => (m.Version, m.Provider, m.CurrentSnapshot.Version))]);
        _metrics?.SnapshotsLoaded([.. _registry.Models.Values.Select(m =>
            (m.Version, m.CurrentSnapshot.Version, m.CurrentSnapshot.Snapshot.Header.Created))]);
    }

    private ValueTask<ReadResult> ReadStateAsync(StateKey key, CancellationToken cancellationToken)
        => ReadStateAsync(key, forRanking: false, cancellationToken);

    /// <summary>Reads a state; <paramref name="forRanking"/> when it is only ranked from, never written back (the
    /// store may then leave out the event ids, <see cref="IStateStore.GetForRankingAsync"/>).</summary>
    private async ValueTask<ReadResult> ReadStateAsync(StateKey key, bool forRanking, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await (forRanking ? _store.GetForRankingAsync(key, cancellationToken) : _store.GetAsync(key, cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            _metrics?.StateStore("get", Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    /// <summary>Reads a state to rank from (never written back) for an answer due at <paramref name="deadlineUtc"/>: a store that has not answered
    /// within half the time left is given up on (<see cref="StoreStatus.Unavailable"/>), leaving the other half to
    /// rank from the start state. A deadline past or over two hours away (none, in effect) leaves the read
    /// unbounded.</summary>
    private async ValueTask<ReadResult> ReadWithinAsync(StateKey key, DateTime deadlineUtc, CancellationToken cancellationToken)
    {
        var budget = (deadlineUtc - _clock.GetUtcNow().UtcDateTime) / 2;
        if (budget <= TimeSpan.Zero || budget > TimeSpan.FromHours(1))
        {
            return await ReadStateAsync(key, forRanking: true, cancellationToken).ConfigureAwait(false);
        }
        // A pooled timer (reset after use) and a registration on the caller's token rather than a new timer and a
        // linked source per read: a Recommend allocates nothing for its deadline.
        if (!_readTimers.TryTake(out var timer))
        {
            timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _clock);
        }
        timer.CancelAfter(budget);
        var link = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timer);
        try
        {
            var read = await ReadStateAsync(key, forRanking: true, timer.Token).ConfigureAwait(false);
            return TimedOut() && read.Status != StoreStatus.Ok && read.Status != StoreStatus.NotFound ? TimedOutResult(budget) : read;
        }
        catch (OperationCanceledException) when (TimedOut())
        {
            return TimedOutResult(budget);
        }
        finally
        {
            link.Dispose();
            if (timer.TryReset())
            {
                _readTimers.Add(timer);
            }
            else
            {
                timer.Dispose();
            }
        }

        bool TimedOut() => timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested;

        static ReadResult TimedOutResult(TimeSpan budget) => new(StoreStatus.Unavailable, null,
            $"no answer within {budget.TotalMilliseconds:F0} ms, half the time left to the call's deadline");
    }

    /// <summary>Makes a state read at <paramref name="version"/> as durable as a write before its events are
    /// acknowledged (<see cref="IStateStore.ConfirmDurableAsync"/>).</summary>
    private async ValueTask<WriteResult> ConfirmStateAsync(StateKey key, ulong version, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await _store.ConfirmDurableAsync(key, version, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _metrics?.StateStore("confirm", Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    private async ValueTask<WriteResult> SwapStateAsync(UserState state, ulong expected, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await _store.CompareAndSwapAsync(state, expected, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _metrics?.StateStore("cas", Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    private static UserState NewState(ServedModel model, long userId) =>
        new(model.Version, userId, model.StateSize, model.Dim) { HiddenState = model.UserStart.ToArray() };

    private long Now() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Null when <paramref name="e"/>'s event id and timestamp are acceptable (ObserveEvents and CountClicks), else
    /// the problem.</summary>
    private string? CheckEvent(ObservedEvent e) =>
        string.IsNullOrEmpty(e.EventId) ? "event_id is empty; every event needs a unique id (retries reuse it)"
        : e.EventId.Length > _options.MaxEventIdLength ? $"event_id has {e.EventId.Length} characters; at most {_options.MaxEventIdLength}"
        : CheckTimestamp(e.TimestampMs);

    /// <summary>Null when <paramref name="timestampMs"/> is acceptable, else the problem.</summary>
    private string? CheckTimestamp(long timestampMs)
    {
        if (timestampMs < _options.MinTimestampMs)
        {
            return $"timestamp_ms {timestampMs} is before {DateTimeOffset.FromUnixTimeMilliseconds(_options.MinTimestampMs):yyyy-MM-dd} "
                + "(MinTimestampMs); timestamps are milliseconds since the Unix epoch";
        }
        long limit = Now() + _options.MaxFutureSkewMs;
        if (timestampMs > limit)
        {
            return $"timestamp_ms {timestampMs} is more than {_options.MaxFutureSkewMs} ms ahead of the server clock (MaxFutureSkewMs); "
                + "timestamps are milliseconds since the Unix epoch";
        }
        return null;
    }

    /// <summary>Retired model versions and item snapshots still held by requests in flight (for tests and
    /// diagnostics): 0 once everything swapped out has drained and been released.</summary>
    internal int RetiredStillHeld()
    {
        lock (_retired)
        {
            return _retired.Count(r => !r.IsFreed) + _registry.Models.Values.Concat(_retired).Sum(m => m.RetiredSnapshotsHeld);
        }
    }

    /// <summary>References requests hold now on loaded version <paramref name="version"/> (the engine's own not
    /// counted), for tests and diagnostics; 0 when it is not loaded.</summary>
    internal int RequestsHolding(string version) =>
        _registry.Models.TryGetValue(version, out var m) ? Math.Max(0, m.References - 1) : 0;

    /// <summary>Loaded version <paramref name="version"/>, for tests and diagnostics.</summary>
    internal ServedModel ModelOf(string version) => _registry.Models[version];

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_poll is not null)
        {
            await _poll.DisposeAsync().ConfigureAwait(false);
        }
        await _swap.WaitAsync().ConfigureAwait(false);
        foreach (var model in _registry.Models.Values)
        {
            model.Retire();
        }
        while (_readTimers.TryTake(out var timer))
        {
            timer.Dispose();
        }
    }
}

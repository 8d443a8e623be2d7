using HierTcn.Formats.State;
using HierTcn.Inference.Internal;
using HierTcn.Inference.Popularity;
using HierTcn.Inference.Sessions;
using HierTcn.StateStore;

namespace HierTcn.Inference;

public sealed partial class RecommenderEngine
{
    /// <summary>
    /// Applies events to their users' states (<see cref="SessionLogic"/>): exactly once by event id, in time order
    /// per user (an event of the open session that arrives after newer ones is inserted at its time), late ones
    /// (of a closed session) counted and not applied. Malformed events (empty or long event id, timestamp out of range, unknown forced
    /// version) fail the whole call with <see cref="ServeStatus.InvalidArgument"/> naming the first one, before
    /// anything is applied. Users are written with compare-and-swap, so concurrent writers (other threads, other
    /// processes sharing the store) never lose an event; a call answered <see cref="ServeStatus.Unavailable"/> can
    /// be retried whole.
    /// </summary>
    public async Task<ObserveSummary> ObserveAsync(IReadOnlyList<ObservedEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count > _options.MaxEventsPerCall)
        {
            return ObserveSummary.Fail(ServeStatus.InvalidArgument, $"events has {events.Count} entries; at most {_options.MaxEventsPerCall} per call");
        }
        var registry = _registry;
        var groups = new Dictionary<(string Version, long User), List<ObservedEvent>>();
        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            string? problem = CheckEvent(e);
            if (problem is null && !string.IsNullOrEmpty(e.ModelVersion) && !registry.Models.ContainsKey(e.ModelVersion))
            {
                problem = $"model_version \"{e.ModelVersion}\" is not loaded; loaded versions: {string.Join(", ", registry.Models.Keys)}";
            }
            if (problem is not null)
            {
                return ObserveSummary.Fail(ServeStatus.InvalidArgument, $"events[{i}] (user {e.UserId}): {problem}; nothing was applied");
            }
            string version = string.IsNullOrEmpty(e.ModelVersion) ? registry.Router.Assign(e.UserId) : e.ModelVersion;
            if (!groups.TryGetValue((version, e.UserId), out var list))
            {
                groups[(version, e.UserId)] = list = [];
            }
            list.Add(e);
        }
        int applied = 0, duplicates = 0, late = 0, unknown = 0;
        string? failure = null;
        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (group, ct) =>
            {
                var (counts, error) = await ApplyUserAsync(group.Key.Version, group.Key.User, group.Value, ct).ConfigureAwait(false);
                Interlocked.Add(ref applied, counts.Applied);
                Interlocked.Add(ref duplicates, counts.Duplicates);
                Interlocked.Add(ref late, counts.Late);
                Interlocked.Add(ref unknown, counts.UnknownItems);
                if (error is not null)
                {
                    Interlocked.CompareExchange(ref failure, error, null);
                }
            }).ConfigureAwait(false);
        return failure is null
            ? new ObserveSummary(ServeStatus.Ok, null, applied, duplicates, late, unknown)
            : new ObserveSummary(ServeStatus.Unavailable, failure + "; the call is safe to retry (events apply once)", applied, duplicates, late, unknown);
    }

    private async Task<(SessionLogic.Counts Counts, string? Error)> ApplyUserAsync(string version, long userId, List<ObservedEvent> events,
        CancellationToken cancellationToken)
    {
        var model = Acquire(version, userId, out _, out string? error);
        if (model is null)
        {
            return (default, error);
        }
        try
        {
            // Inside the try: a wait cancelled here must still give the model back, or a retired version is never freed.
            var gate = LockOf(version, userId);
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await ApplyLockedAsync(model, userId, events, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>Applies one user's events under the user's lock, with compare-and-swap against other processes.</summary>
    private async Task<(SessionLogic.Counts Counts, string? Error)> ApplyLockedAsync(ServedModel model, long userId, List<ObservedEvent> events,
        CancellationToken cancellationToken)
    {
        string version = model.Version;
        bool measured = IsMeasured(userId);
        // The clicks a model with a recent-popularity prior ranks by: kept once applied (so exactly once by event id).
        var clicks = _clicks;
        var appliedEvents = measured || clicks is not null ? new List<ObservedEvent>(events.Count) : null;
        var snapshot = model.AcquireSnapshot();
        try
        {
            for (int attempt = 0; attempt < _options.MaxStateWriteAttempts; attempt++)
            {
                var read = await ReadStateAsync(new StateKey(version, userId), cancellationToken).ConfigureAwait(false);
                if (read.Status is not (StoreStatus.Ok or StoreStatus.NotFound))
                {
                    EngineLog.StoreFailed(_log, "get", userId, version, read.Status.ToString(), read.Error);
                    return (default, $"state store: {read.Status}: {read.Error}");
                }
                var state = read.State ?? NewState(model, userId);
                ulong expected = read.State?.Version ?? 0;
                appliedEvents?.Clear();
                var counts = SessionLogic.Apply(state, events, snapshot.Snapshot, model.Rule, model.SessionCapacity, model.SessionEventCapacity,
                    model.CloseSession, appliedEvents);
                if (counts.Applied == 0)
                {
                    if (counts.Duplicates == 0 || read.State is null)
                    {
                        return (counts, null);
                    }
                    // Every event is already in the state, maybe put there by an earlier call whose write was not
                    // acknowledged (its answer lost, or its replica wait timed out): acknowledge them as duplicates only
                    // once the state is as durable as an acknowledged write.
                    var confirm = await ConfirmStateAsync(new StateKey(version, userId), expected, cancellationToken).ConfigureAwait(false);
                    if (confirm.IsOk)
                    {
                        return (counts, null);
                    }
                    if (confirm.Status != StoreStatus.VersionMismatch)
                    {
                        EngineLog.StoreFailed(_log, "confirm", userId, version, confirm.Status.ToString(), confirm.Error);
                        return (default, $"state store: {confirm.Status}: {confirm.Error}");
                    }
                    continue;
                }
                var write = await SwapStateAsync(state, expected, cancellationToken).ConfigureAwait(false);
                if (write.IsOk)
                {
                    if (clicks is not null)
                    {
                        int dropped = 0;
                        foreach (var e in appliedEvents!)
                        {
                            // Keyed: the same click sent by the click feed (CountClicks) before or after counts once.
                            clicks.Add(e.ItemId, e.TimestampMs, RecentClicks.KeyOf(userId, e.EventId), out int d);
                            dropped += d;
                        }
                        _metrics?.RecentClicks(clicks.Count, dropped);
                    }
                    if (measured)
                    {
                        RankNextEvents(model, userId, appliedEvents!);
                    }
                    return (counts, null);
                }
                if (write.Status != StoreStatus.VersionMismatch)
                {
                    EngineLog.StoreFailed(_log, "cas", userId, version, write.Status.ToString(), write.Error);
                    return (default, $"state store: {write.Status}: {write.Error}");
                }
            }
            return (default, $"user {userId}: the state kept changing under {_options.MaxStateWriteAttempts} write attempts");
        }
        finally
        {
            snapshot.Release();
        }
    }

    /// <summary>Closes the user's open session now: the update graph on its MEAN, the new state stored.</summary>
    public async Task<EndSessionOutcome> EndSessionAsync(long userId, string? modelVersion, CancellationToken cancellationToken = default)
    {
        var model = Acquire(modelVersion, userId, out string version, out string? error);
        if (model is null)
        {
            return new EndSessionOutcome(ServeStatus.InvalidArgument, error, false, "");
        }
        try
        {
            // Inside the try: a wait cancelled here must still give the model back, or a retired version is never freed.
            var gate = LockOf(version, userId);
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await EndSessionLockedAsync(model, userId, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }
        finally
        {
            model.Release();
        }
    }

    private async Task<EndSessionOutcome> EndSessionLockedAsync(ServedModel model, long userId, CancellationToken cancellationToken)
    {
        string version = model.Version;
        for (int attempt = 0; attempt < _options.MaxStateWriteAttempts; attempt++)
        {
            var read = await ReadStateAsync(new StateKey(version, userId), cancellationToken).ConfigureAwait(false);
            if (read.Status == StoreStatus.NotFound)
            {
                return new EndSessionOutcome(ServeStatus.Ok, null, false, version);
            }
            if (read.Status != StoreStatus.Ok)
            {
                return new EndSessionOutcome(ServeStatus.Unavailable, $"state store: {read.Status}: {read.Error}", false, version);
            }
            var state = read.State!;
            ulong expected = state.Version;
            if (!SessionLogic.Close(state, model.CloseSession, model.FoldsAtNextSession))
            {
                return new EndSessionOutcome(ServeStatus.Ok, null, false, version);
            }
            var write = await SwapStateAsync(state, expected, cancellationToken).ConfigureAwait(false);
            if (write.IsOk)
            {
                return new EndSessionOutcome(ServeStatus.Ok, null, true, version);
            }
            if (write.Status != StoreStatus.VersionMismatch)
            {
                return new EndSessionOutcome(ServeStatus.Unavailable, $"state store: {write.Status}: {write.Error}", false, version);
            }
        }
        return new EndSessionOutcome(ServeStatus.Unavailable, "the state kept changing; retry", false, version);
    }
}

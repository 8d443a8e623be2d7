using HierTcn.Formats.State;
using HierTcn.Inference.Internal;
using HierTcn.StateStore;

namespace HierTcn.Inference;

public sealed partial class RecommenderEngine
{
    /// <summary>Most users whose damaged source state a failed backfill names in its error.</summary>
    private const int NamedFailures = 20;

    /// <summary>
    /// Seeds <paramref name="targetVersion"/>'s states from <paramref name="sourceVersion"/>'s stored ones, for users
    /// moving to a new version: the target starts from its learned user start, then replays the source's stored
    /// open session (its items at their times, embedded with the target's snapshot), last event time, remembered
    /// event ids and late bound (so retries stay exactly-once, and the same events are late, across the move). Closed sessions live only inside the source's hidden state, which
    /// another model cannot read. Users who already have a target state are left alone.
    /// <para>A version not loaded is <see cref="ServeStatus.InvalidArgument"/>. A damaged source state is skipped and
    /// the call ends <see cref="ServeStatus.Unavailable"/> naming it; any other store failure stops the call at that
    /// user with <see cref="ServeStatus.Unavailable"/>. Neither is counted as a missing source.</para>
    /// </summary>
    public async Task<BackfillOutcome> BackfillAsync(string sourceVersion, string targetVersion, IReadOnlyList<long> userIds,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        var registry = _registry;
        if (string.IsNullOrEmpty(sourceVersion) || !registry.Models.ContainsKey(sourceVersion))
        {
            return new BackfillOutcome(ServeStatus.InvalidArgument, NotLoaded("source_version", sourceVersion, registry), 0, 0, 0);
        }
        var model = string.IsNullOrEmpty(targetVersion) ? null : Acquire(targetVersion, 0, out _, out _);
        if (model is null)
        {
            return new BackfillOutcome(ServeStatus.InvalidArgument, NotLoaded("target_version", targetVersion, registry), 0, 0, 0);
        }
        var snapshot = model.AcquireSnapshot();
        int copied = 0, missing = 0, present = 0;
        var damaged = new List<long>();
        string? stop = null;
        try
        {
            foreach (long user in userIds)
            {
                var source = await ReadStateAsync(new StateKey(sourceVersion, user), cancellationToken).ConfigureAwait(false);
                if (source.Status == StoreStatus.NotFound)
                {
                    missing++;
                    continue;
                }
                if (source.Status == StoreStatus.Damaged)
                {
                    EngineLog.StoreFailed(_log, "get", user, sourceVersion, source.Status.ToString(), source.Error);
                    damaged.Add(user);
                    continue;
                }
                if (source.Status != StoreStatus.Ok)
                {
                    EngineLog.StoreFailed(_log, "get", user, sourceVersion, source.Status.ToString(), source.Error);
                    stop = $"reading user {user}'s {sourceVersion} state: state store: {source.Status}: {source.Error}";
                    break;
                }
                var s = source.State!;
                s.FillMissingItemTimes();
                var target = NewState(model, user);
                for (int i = 0; i < s.SessionItems.Length; i++)
                {
                    long item = s.SessionItems[i];
                    if (snapshot.Snapshot.TryGetRow(item, out int row))
                    {
                        target.InsertSessionItem(item, s.SessionItemTimes[i], snapshot.Snapshot.Row(row), model.SessionCapacity);
                    }
                }
                target.LastEventMs = s.LastEventMs;
                target.RecentEventIds = [.. s.RecentEventIds];
                CopySessionEvents(s, target, model.SessionEventCapacity);
                var write = await SwapStateAsync(target, 0, cancellationToken).ConfigureAwait(false);
                if (write.IsOk)
                {
                    copied++;
                }
                else if (write.Status == StoreStatus.VersionMismatch)
                {
                    present++;
                }
                else
                {
                    EngineLog.StoreFailed(_log, "cas", user, targetVersion, write.Status.ToString(), write.Error);
                    stop = $"writing user {user}'s {targetVersion} state: state store: {write.Status}: {write.Error}";
                    break;
                }
            }
        }
        finally
        {
            snapshot.Release();
            model.Release();
        }
        EngineLog.Backfilled(_log, targetVersion, sourceVersion, userIds.Count, copied, missing);
        if (stop is null && damaged.Count == 0)
        {
            return new BackfillOutcome(ServeStatus.Ok, null, copied, missing, present);
        }
        var problems = new List<string>();
        if (damaged.Count > 0)
        {
            problems.Add($"{damaged.Count} user(s) skipped because their {sourceVersion} state is damaged: "
                + string.Join(", ", damaged.Take(NamedFailures)) + (damaged.Count > NamedFailures ? ", ..." : ""));
        }
        if (stop is not null)
        {
            problems.Add("stopped " + stop);
        }
        return new BackfillOutcome(ServeStatus.Unavailable,
            $"{string.Join("; ", problems)}; done: {copied} copied, {missing} without a source state, {present} already present; "
            + "the call is safe to retry", copied, missing, present);
    }

    /// <summary>Carries the source's exactly-once memory of its open session into the target: its event ids (the newest
    /// that fit the target's bound; forgetting older ones moves the late bound past them) and the late bound. The
    /// target's session holds only the source's listed items (older ones live only in the source's sum), so it starts
    /// at the earliest of them.</summary>
    private static void CopySessionEvents(UserState source, UserState target, int eventIdCapacity)
    {
        target.LateBeforeMs = source.LateBeforeMs;
        // An ended session the source had not folded yet (a time-gap model) stays ended: the next event opens a new one.
        target.SessionEnded = source.SessionEnded && target.SessionCount > 0;
        int n = Math.Min(source.SessionEventIds.Length, source.SessionEventTimes.Length);
        for (int i = 0; i < n; i++)
        {
            target.RecordSessionEvent(source.SessionEventIds[i], source.SessionEventTimes[i], eventIdCapacity);
        }
    }

    private static string NotLoaded(string field, string version, Registry registry) =>
        $"{field} \"{version}\" is not loaded; backfill needs both versions loaded; loaded versions: {string.Join(", ", registry.Models.Keys)}";
}

using HierTcn.Formats.State;
using HierTcn.Inference.Batching;
using HierTcn.Inference.Internal;
using HierTcn.Inference.Sessions;
using HierTcn.StateStore;

namespace HierTcn.Inference;

public sealed partial class RecommenderEngine
{
    /// <summary>
    /// Ranks items for a user: reads the user's state under the model version, queues the request for the version's
    /// batcher (one embed run and one scoring pass per batch) and returns the top k, best first, finite scores only.
    /// A request time more than the session gap after the user's last event ranks for a new session (the open one
    /// closed first, without storing it). <paramref name="deadlineUtc"/> (on the engine's clock): a request still
    /// queued then is not computed.
    /// </summary>
    public async Task<RecommendOutcome> RecommendAsync(RecommendQuery query, DateTime deadlineUtc, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (Validate(query) is { } problem)
        {
            return RecommendOutcome.Fail(ServeStatus.InvalidArgument, problem);
        }
        int k = query.K == 0 ? _options.DefaultK : query.K;
        var model = Acquire(query.ModelVersion, query.UserId, out string version, out string? error);
        if (model is null)
        {
            return RecommendOutcome.Fail(ServeStatus.InvalidArgument, error!);
        }
        try
        {
            var read = await ReadWithinAsync(new StateKey(version, query.UserId), deadlineUtc, cancellationToken).ConfigureAwait(false);
            bool degraded = false;
            if (read.Status is not (StoreStatus.Ok or StoreStatus.NotFound))
            {
                EngineLog.StoreFailed(_log, "get", query.UserId, version, read.Status.ToString(), read.Error);
                if (read.Status is not (StoreStatus.Unavailable or StoreStatus.Damaged))
                {
                    return RecommendOutcome.Fail(ServeStatus.Unavailable, $"state store: {read.Status}: {read.Error}", version);
                }
                // Degraded, not down: rank from the start state (a cold start) and say so.
                degraded = true;
                read = ReadResult.NotFound;
            }
            var snapshot = model.AcquireSnapshot();
            try
            {
                int[]? candidates = null;
                List<long>? unknown = null;
                if (query.CandidateItemIds.Count > 0)
                {
                    // An id the snapshot lacks (a brand-new item from upstream retrieval) is skipped and reported.
                    candidates = ResolveCandidates(snapshot, query.CandidateItemIds, out unknown);
                }
                HashSet<int>? excluded = null;
                if (query.ExcludeItemIds.Count > 0)
                {
                    excluded = [];
                    foreach (long id in query.ExcludeItemIds)
                    {
                        if (snapshot.Snapshot.TryGetRow(id, out int row))
                        {
                            excluded.Add(row);
                        }
                    }
                }
                long now = query.TimestampMs == 0 ? Now() : query.TimestampMs;
                var job = BuildJob(model, query.UserId, read.State, now, snapshot, candidates, excluded, k, score: true, priorAtMs: query.TimestampMs);
                var (status, result, message) = await RunAsync(model, job, deadlineUtc, cancellationToken).ConfigureAwait(false);
                if (status != ServeStatus.Ok)
                {
                    return RecommendOutcome.Fail(status, message!, version);
                }
                if (!result.Finite)
                {
                    EngineLog.NonFiniteEmbedding(_log, version, query.UserId);
                    _metrics?.NonFiniteEmbedding(version);
                    return RecommendOutcome.Fail(ServeStatus.Internal, $"model {version} produced a non-finite user embedding", version);
                }
                RememberShown(version, query.UserId, now, result.Items);
                return new RecommendOutcome(ServeStatus.Ok, null, result.Items, version, read.State is null, snapshot.Version, unknown) { Degraded = degraded };
            }
            finally
            {
                snapshot.Release();
            }
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>The user embedding the service would score with now (or at <paramref name="timestampMs"/>).</summary>
    public async Task<EmbeddingOutcome> GetUserEmbeddingAsync(long userId, string? modelVersion, long timestampMs, DateTime deadlineUtc,
        CancellationToken cancellationToken = default)
    {
        if (timestampMs != 0 && CheckTimestamp(timestampMs) is { } bad)
        {
            return new EmbeddingOutcome(ServeStatus.InvalidArgument, bad, [], "", false);
        }
        var model = Acquire(modelVersion, userId, out string version, out string? error);
        if (model is null)
        {
            return new EmbeddingOutcome(ServeStatus.InvalidArgument, error, [], "", false);
        }
        try
        {
            var read = await ReadStateAsync(new StateKey(version, userId), cancellationToken).ConfigureAwait(false);
            if (read.Status is not (StoreStatus.Ok or StoreStatus.NotFound))
            {
                return new EmbeddingOutcome(ServeStatus.Unavailable, $"state store: {read.Status}: {read.Error}", [], version, false);
            }
            var snapshot = model.AcquireSnapshot();
            try
            {
                var job = BuildJob(model, userId, read.State, timestampMs == 0 ? Now() : timestampMs, snapshot, null, null, 1, score: false);
                var (status, result, message) = await RunAsync(model, job, deadlineUtc, cancellationToken).ConfigureAwait(false);
                if (status != ServeStatus.Ok)
                {
                    return new EmbeddingOutcome(status, message, [], version, false);
                }
                if (!result.Finite)
                {
                    EngineLog.NonFiniteEmbedding(_log, version, userId);
                    _metrics?.NonFiniteEmbedding(version);
                    return new EmbeddingOutcome(ServeStatus.Internal, $"model {version} produced a non-finite user embedding", [], version, false);
                }
                return new EmbeddingOutcome(ServeStatus.Ok, null, result.Embedding, version, read.State is null);
            }
            finally
            {
                snapshot.Release();
            }
        }
        finally
        {
            model.Release();
        }
    }

    private string? Validate(RecommendQuery q)
    {
        if (q.K < 0 || q.K > _options.MaxK)
        {
            return $"k is {q.K}; allowed 1 to {_options.MaxK}, or 0 for the default ({_options.DefaultK})";
        }
        if (q.CandidateItemIds.Count > _options.MaxCandidates)
        {
            return $"candidate_item_ids has {q.CandidateItemIds.Count} ids; at most {_options.MaxCandidates} (send none to rank the whole catalogue)";
        }
        if (q.ExcludeItemIds.Count > _options.MaxExclusions)
        {
            return $"exclude_item_ids has {q.ExcludeItemIds.Count} ids; at most {_options.MaxExclusions}";
        }
        if (q.TimestampMs != 0 && CheckTimestamp(q.TimestampMs) is { } bad)
        {
            return bad;
        }
        return null;
    }

    private static int[] ResolveCandidates(SnapshotHandle snapshot, IReadOnlyList<long> ids, out List<long>? unknown)
    {
        var rows = new List<int>(ids.Count);
        var seen = new HashSet<int>();
        HashSet<long>? unknownSeen = null;
        unknown = null;
        foreach (long id in ids)
        {
            if (!snapshot.Snapshot.TryGetRow(id, out int row))
            {
                if ((unknownSeen ??= []).Add(id))
                {
                    (unknown ??= []).Add(id);
                }
            }
            else if (seen.Add(row))
            {
                rows.Add(row);
            }
        }
        return [.. rows];
    }

    /// <summary>The batch row for a user's state at time <paramref name="nowMs"/>.</summary>
    private static EmbedJob BuildJob(ServedModel model, long userId, UserState? state, long nowMs, SnapshotHandle snapshot, int[]? candidates,
        HashSet<int>? excluded, int k, bool score, long priorAtMs = 0)
    {
        if (state is null)
        {
            return new EmbedJob { UserId = userId, Hidden = model.UserStart.ToArray(), SessionItems = [], Snapshot = snapshot, CandidateRows = candidates, ExcludedRows = excluded, K = k, Score = score, PriorAtMs = priorAtMs };
        }
        if (state.SessionCount > 0 && (state.SessionEnded || model.Rule.StartsNewSession(state.LastEventMs, nowMs)))
        {
            var mean = new float[model.Dim];
            state.SessionMean(mean);
            return new EmbedJob
            {
                UserId = userId,
                Hidden = state.HiddenState,
                CloseMean = mean,
                CloseGapMinutes = SessionLogic.GapMinutes(state.LastEventMs, nowMs),
                SessionItems = [],
                Snapshot = snapshot,
                CandidateRows = candidates,
                ExcludedRows = excluded,
                K = k,
                Score = score,
                PriorAtMs = priorAtMs,
            };
        }
        return new EmbedJob
        {
            UserId = userId,
            SessionCount = state.SessionCount,
            Hidden = state.HiddenState,
            SessionItems = state.SessionItems,
            IncludeStart = state.SessionItems.Length == state.SessionCount,
            Snapshot = snapshot,
            CandidateRows = candidates,
            ExcludedRows = excluded,
            K = k,
            Score = score,
            PriorAtMs = priorAtMs,
        };
    }

    // Pooled: a Recommend awaits its batch, so this state machine would otherwise be allocated on every call.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(ServeStatus Status, EmbedResult Result, string? Error)> RunAsync(ServedModel model, EmbedJob job,
        DateTime deadlineUtc, CancellationToken cancellationToken)
    {
        var status = model.Batcher.TryEnqueue(job, deadlineUtc, cancellationToken, out var task);
        if (status == EnqueueStatus.QueueFull)
        {
            return (ServeStatus.QueueFull, default, $"the batch queue of model {model.Version} is full ({model.Batcher.QueueDepth} waiting); retry with backoff");
        }
        if (status == EnqueueStatus.Closed)
        {
            return (ServeStatus.Unavailable, default, "the service is shutting down");
        }
        BatchResult<EmbedResult> done;
        try
        {
            done = await task.ConfigureAwait(false);
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
        {
            return (ServeStatus.Internal, default, $"model {model.Version}: ONNX Runtime failed: {e.Message}");
        }
        if (done.IsComputed)
        {
            return (ServeStatus.Ok, done.Value, null);
        }
        // The server cancels a call at its deadline, so a cancelled request past its deadline expired too.
        if (done.Outcome == BatchOutcome.Expired || _clock.GetUtcNow().UtcDateTime >= deadlineUtc)
        {
            return (ServeStatus.DeadlineExceeded, default, "the deadline passed while the request was queued; it was not computed");
        }
        // The caller gave up: there is nobody to answer.
        cancellationToken.ThrowIfCancellationRequested();
        return (ServeStatus.Unavailable, default, "the request was cancelled while queued");
    }
}

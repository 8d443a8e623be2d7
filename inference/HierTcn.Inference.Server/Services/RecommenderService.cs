using System.Diagnostics;
using Grpc.Core;
using HierTcn.Inference.Server.Internal;
using HierTcn.Inference.V1;
using HierTcn.Security.Server;
using Microsoft.Extensions.Options;

namespace HierTcn.Inference.Server.Services;

/// <summary>The Recommender gRPC service (protos/inference.proto) over the engine. Engine outcomes map to status
/// codes: invalid input INVALID_ARGUMENT, full queue RESOURCE_EXHAUSTED, expired deadline DEADLINE_EXCEEDED, store
/// trouble UNAVAILABLE, a non-finite model output INTERNAL; events over a rate limit RESOURCE_EXHAUSTED, nothing of the
/// call applied.</summary>
internal sealed class RecommenderService(EngineHost host, EventLimits limits, PrometheusMetrics metrics, IOptions<RecommenderServerOptions> options,
    ILogger<RecommenderService> log)
    : Recommender.RecommenderBase
{
    private readonly RecommenderServerOptions _options = options.Value;

    public override async Task<RecommendResponse> Recommend(RecommendRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        var query = new RecommendQuery(request.UserId, request.CandidateItemIds, request.K, request.ExcludeItemIds,
            request.ModelVersion, request.TimestampMs);
        var outcome = await host.Engine.RecommendAsync(query, Deadline(context), context.CancellationToken).ConfigureAwait(false);
        Finish("Recommend", request.UserId, outcome.ModelVersion, outcome.Status, outcome.Error, start);
        if (outcome.UnknownUser)
            PrometheusMetrics.ColdStart("Recommend", outcome.ModelVersion);
        if (outcome.Degraded)
            PrometheusMetrics.Degraded("Recommend", outcome.ModelVersion);
        var response = new RecommendResponse
        {
            ModelVersion = outcome.ModelVersion,
            UnknownUser = outcome.UnknownUser,
            Degraded = outcome.Degraded,
            RequestId = request.RequestId,
            SnapshotVersion = outcome.SnapshotVersion,
        };
        foreach (var item in outcome.Items)
            response.Items.Add(new ScoredItem { ItemId = item.ItemId, Score = item.Score });
        if (outcome.UnknownCandidateItemIds is { } unknown)
            response.UnknownCandidateItemIds.Add(unknown);
        return response;
    }

    public override async Task<ObserveEventsResponse> ObserveEvents(ObserveEventsRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        List<ObservedEvent> events = [.. request.Events.Select(ToEvent)];
        CheckLimits("ObserveEvents", events, context, start, applied: 0);
        var summary = await host.Engine.ObserveAsync(events, context.CancellationToken).ConfigureAwait(false);
        PrometheusMetrics.ObservedEvents(summary);
        Finish("ObserveEvents", request.Events.Count > 0 ? request.Events[0].UserId : 0, "", summary.Status, summary.Error, start);
        return ToResponse(summary.Applied, summary.Duplicates, summary.Late, summary.UnknownItems);
    }

    public override async Task<ObserveEventsResponse> ObserveEventStream(IAsyncStreamReader<Event> requestStream, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        int applied = 0, duplicates = 0, late = 0, unknown = 0, received = 0;
        var chunk = new List<ObservedEvent>(_options.StreamChunk);
        async Task FlushAsync()
        {
            CheckLimits("ObserveEventStream", chunk, context, start, applied);
            var s = await host.Engine.ObserveAsync(chunk, context.CancellationToken).ConfigureAwait(false);
            PrometheusMetrics.ObservedEvents(s);
            applied += s.Applied;
            duplicates += s.Duplicates;
            late += s.Late;
            unknown += s.UnknownItems;
            if (s.Status != ServeStatus.Ok)
            {
                // Chunks before this one are applied; a retry of the whole stream is safe (events apply once).
                Finish("ObserveEventStream", chunk[0].UserId, "", s.Status, $"after {received - chunk.Count} event(s) of the stream: {s.Error}", start);
            }
            chunk.Clear();
        }
        await foreach (var e in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            chunk.Add(ToEvent(e));
            received++;
            if (chunk.Count == _options.StreamChunk)
                await FlushAsync().ConfigureAwait(false);
        }
        if (chunk.Count > 0)
            await FlushAsync().ConfigureAwait(false);
        Finish("ObserveEventStream", 0, "", ServeStatus.Ok, null, start);
        return ToResponse(applied, duplicates, late, unknown);
    }

    public override async Task<EndSessionResponse> EndSession(EndSessionRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        var outcome = await host.Engine.EndSessionAsync(request.UserId, request.ModelVersion, context.CancellationToken).ConfigureAwait(false);
        Finish("EndSession", request.UserId, outcome.ModelVersion, outcome.Status, outcome.Error, start);
        return new EndSessionResponse { Closed = outcome.Closed, ModelVersion = outcome.ModelVersion };
    }

    public override async Task<GetUserEmbeddingResponse> GetUserEmbedding(GetUserEmbeddingRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        var outcome = await host.Engine.GetUserEmbeddingAsync(request.UserId, request.ModelVersion, request.TimestampMs, Deadline(context),
            context.CancellationToken).ConfigureAwait(false);
        Finish("GetUserEmbedding", request.UserId, outcome.ModelVersion, outcome.Status, outcome.Error, start);
        if (outcome.UnknownUser)
            PrometheusMetrics.ColdStart("GetUserEmbedding", outcome.ModelVersion);
        var response = new GetUserEmbeddingResponse { ModelVersion = outcome.ModelVersion, UnknownUser = outcome.UnknownUser };
        response.Embedding.Add(outcome.Embedding);
        return response;
    }

    /// <summary>Most users one Backfill call takes.</summary>
    public const int MaxBackfillUsers = 10_000;

    public override async Task<BackfillResponse> Backfill(BackfillRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        if (request.UserIds.Count > MaxBackfillUsers)
        {
            Finish("Backfill", 0, request.TargetVersion, ServeStatus.InvalidArgument,
                $"at most {MaxBackfillUsers} user ids per Backfill call, got {request.UserIds.Count}", start);
        }
        var outcome = await host.Engine.BackfillAsync(request.SourceVersion, request.TargetVersion, request.UserIds, context.CancellationToken)
            .ConfigureAwait(false);
        Finish("Backfill", 0, request.TargetVersion, outcome.Status, outcome.Error, start);
        return new BackfillResponse { Copied = outcome.Copied, MissingSource = outcome.MissingSource, AlreadyPresent = outcome.AlreadyPresent };
    }

    public override Task<CountClicksResponse> CountClicks(CountClicksRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        List<ObservedEvent> events = [.. request.Events.Select(ToEvent)];
        CheckLimits("CountClicks", events, context, start, applied: 0);
        var summary = host.Engine.CountClicks(events);
        Finish("CountClicks", request.Events.Count > 0 ? request.Events[0].UserId : 0, "", summary.Status, summary.Error, start);
        PrometheusMetrics.CountedClicks(summary);
        return Task.FromResult(new CountClicksResponse { Counted = summary.Counted, Duplicates = summary.Duplicates, TooOld = summary.TooOld });
    }

    /// <summary>Throws RESOURCE_EXHAUSTED (counted) when the caller or a user is over an event rate limit.</summary>
    private void CheckLimits(string method, List<ObservedEvent> events, ServerCallContext context, long start, int applied)
    {
        if (limits.TryAcquire(CallerIdentity.Of(context.GetHttpContext()), events) is not { } refused)
            return;
        metrics.RateLimited(method, refused.Limit);
        PrometheusMetrics.Call(method, "", StatusCode.ResourceExhausted.ToString(), Stopwatch.GetElapsedTime(start).TotalSeconds);
        string message = applied > 0 ? $"after {applied} applied event(s) of the stream: {refused.Message}" : refused.Message;
        throw new RpcException(new Status(StatusCode.ResourceExhausted, message));
    }

    private static ObservedEvent ToEvent(Event e) => new(e.UserId, e.ItemId, e.TimestampMs, e.EventId, e.ModelVersion);

    private static ObserveEventsResponse ToResponse(int applied, int duplicates, int late, int unknown) =>
        new() { Applied = applied, Duplicates = duplicates, Late = late, UnknownItems = unknown };

    private DateTime Deadline(ServerCallContext context)
    {
        var fallback = DateTime.UtcNow.AddMilliseconds(_options.DefaultDeadlineMs);
        return context.Deadline < fallback ? context.Deadline : fallback;
    }

    /// <summary>Records the call; throws the status for anything but OK.</summary>
    private void Finish(string method, long userId, string version, ServeStatus status, string? error, long start)
    {
        var code = status switch
        {
            ServeStatus.Ok => StatusCode.OK,
            ServeStatus.InvalidArgument => StatusCode.InvalidArgument,
            ServeStatus.QueueFull => StatusCode.ResourceExhausted,
            ServeStatus.DeadlineExceeded => StatusCode.DeadlineExceeded,
            ServeStatus.Unavailable => StatusCode.Unavailable,
            _ => StatusCode.Internal,
        };
        PrometheusMetrics.Call(method, version, code.ToString(), Stopwatch.GetElapsedTime(start).TotalSeconds);
        if (code == StatusCode.OK)
            return;
        if (code is StatusCode.Internal or StatusCode.Unavailable)
            ServerLog.CallFailed(log, method, userId, code.ToString(), error);
        throw new RpcException(new Status(code, error ?? status.ToString()));
    }
}

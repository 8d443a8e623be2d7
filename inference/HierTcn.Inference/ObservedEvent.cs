namespace HierTcn.Inference;

/// <summary>An interaction event (protos/inference.proto <c>Event</c>).</summary>
/// <param name="EventId">Unique per event (1 to <see cref="RecommenderOptions.MaxEventIdLength"/> characters); a
/// retry with the same id applies once.</param>
/// <param name="ModelVersion">The version whose state it updates; null or empty: the user's A/B assignment.</param>
public readonly record struct ObservedEvent(long UserId, long ItemId, long TimestampMs, string EventId, string? ModelVersion = null);

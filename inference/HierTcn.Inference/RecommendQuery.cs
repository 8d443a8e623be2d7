namespace HierTcn.Inference;

/// <summary>A Recommend request (protos/inference.proto <c>RecommendRequest</c>).</summary>
/// <param name="UserId">External user id.</param>
/// <param name="CandidateItemIds">Items to rank; empty ranks the whole catalogue.</param>
/// <param name="K">How many items; 0 means <see cref="RecommenderOptions.DefaultK"/>.</param>
/// <param name="ExcludeItemIds">Items never returned; ids not in the catalogue are ignored.</param>
/// <param name="ModelVersion">Forced model version; null or empty uses the A/B assignment.</param>
/// <param name="TimestampMs">Time of the request; 0 means the server's clock.</param>
public sealed record RecommendQuery(long UserId, IReadOnlyList<long> CandidateItemIds, int K, IReadOnlyList<long> ExcludeItemIds,
    string? ModelVersion = null, long TimestampMs = 0);

using HierTcn.Inference.V1;

namespace HierTcn.Inference.Client;

/// <summary>One replayed user: every event but the last was observed; the recommendation is asked at the last
/// event's time; <see cref="HeldOutItem"/> is that event's item and <see cref="HeldOutRank"/> its 1-based rank in
/// the answer (0: not in the top k).</summary>
public sealed record ReplayedUser(long UserId, int EventsObserved, long HeldOutItem, int HeldOutRank, RecommendResponse Response);

namespace HierTcn.Inference.Internal;

/// <summary>One row of a Recommend (or GetUserEmbedding) batch: the user's state as the model needs it, resolved
/// against the snapshot the request holds.</summary>
internal sealed class EmbedJob
{
    /// <summary>The user, for the in-pod TCN buffer cache.</summary>
    public long UserId { get; init; }

    /// <summary>Items the open session has had (the state's session count; 0 for a new user or after a close). With
    /// <see cref="SessionItems"/> it tells the buffer cache which items are new since its entry.</summary>
    public int SessionCount { get; init; }

    /// <summary>High-level state, L*H.</summary>
    public required float[] Hidden { get; init; }

    /// <summary>The open session's MEAN when the request time closes it (gap above the session gap): the batch runs
    /// the update graph first and embeds an empty new session. Null otherwise.</summary>
    public float[]? CloseMean { get; init; }

    /// <summary>With <see cref="CloseMean"/>: minutes from the closed session's last event to the request (the update
    /// graph's gap_minutes, read by a model whose high level reads the time between sessions).</summary>
    public float CloseGapMinutes { get; init; }

    /// <summary>Open-session items to embed, oldest first (empty after a close or for a new user).</summary>
    public required long[] SessionItems { get; init; }

    /// <summary>True when <see cref="SessionItems"/> is the whole session, so the start token leads the rows.</summary>
    public bool IncludeStart { get; init; } = true;

    public required SnapshotHandle Snapshot { get; init; }

    /// <summary>Snapshot rows to rank; null ranks every row.</summary>
    public int[]? CandidateRows { get; init; }

    public HashSet<int>? ExcludedRows { get; init; }

    public int K { get; init; }

    /// <summary>For a model with a recent-popularity prior: the time whose window of clicks it ranks with, the request's
    /// own timestamp; 0 for a request stamped by the server (the batch then counts at the server's clock as it scores).</summary>
    public long PriorAtMs { get; init; }

    /// <summary>False for GetUserEmbedding: only the embedding is wanted.</summary>
    public bool Score { get; init; } = true;
}

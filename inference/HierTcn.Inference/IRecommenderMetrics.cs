namespace HierTcn.Inference;

/// <summary>Where the engine reports what it measures; the server implements it with Prometheus. Implementations are
/// called concurrently and must be thread-safe and cheap.</summary>
public interface IRecommenderMetrics
{
    /// <summary>One Recommend batch of a model version ran: its size, requests dropped as expired, queue depth.</summary>
    void Batch(string modelVersion, int size, int expired, int queueDepth);

    /// <summary>One ONNX Runtime run of a graph role (embed, update) took <paramref name="seconds"/>.</summary>
    void OnnxRun(string modelVersion, string role, double seconds);

    /// <summary>One state store operation (get, cas, confirm) took <paramref name="seconds"/>.</summary>
    void StateStore(string operation, double seconds);

    /// <summary>The set of loaded versions changed: each with its execution provider and snapshot version.</summary>
    void Loaded(IReadOnlyList<(string ModelVersion, string Provider, string SnapshotVersion)> versions);

    /// <summary>Called with <see cref="Loaded"/>: the snapshot each loaded version scores against and when its file
    /// was written (its header's creation time), for an alert on a stale snapshot.</summary>
    void SnapshotsLoaded(IReadOnlyList<(string ModelVersion, string SnapshotVersion, DateTimeOffset Created)> snapshots)
    {
    }

    /// <summary>A model version produced a non-finite user embedding; the request was refused (INTERNAL).</summary>
    void NonFiniteEmbedding(string modelVersion)
    {
    }

    /// <summary>After clicks were added for the recent-popularity prior: how many are kept, and how many the capacity
    /// dropped in this addition.</summary>
    void RecentClicks(int kept, int dropped)
    {
    }

    /// <summary>Loading a version's new current snapshot failed; the version keeps serving its current one.</summary>
    void SnapshotRefreshFailed(string modelVersion)
    {
    }

    /// <summary>A sampled user's Recommend answer was remembered as shown by <paramref name="modelVersion"/>;
    /// <paramref name="newUser"/> when this process held no list for the user before.</summary>
    void ListShown(string modelVersion, bool newUser)
    {
    }

    /// <summary>A sampled user's next applied event after a list shown by <paramref name="modelVersion"/>:
    /// <paramref name="rank"/> is the 1-based position of the event's item in the list, 0 when it is not there.</summary>
    void NextEventRanked(string modelVersion, int rank)
    {
    }

    /// <summary>A sampled user's applied event that answers no list (none shown in this process, the last one
    /// already answered, or shown more than the session gap away), under the version that applied it.</summary>
    void NextEventUnmatched(string modelVersion)
    {
    }
}

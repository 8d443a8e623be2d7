using System.Collections.Concurrent;

namespace HierTcn.Inference.Tests;

/// <summary>An <see cref="IRecommenderMetrics"/> that keeps what the engine reports: the online-metric calls in order
/// (<see cref="Calls"/>) and the ONNX graph runs by role (<see cref="Runs"/>); the rest is dropped.</summary>
internal sealed class RecordingMetrics : IRecommenderMetrics
{
    public ConcurrentQueue<string> Calls { get; } = new();

    public ConcurrentDictionary<string, int> Runs { get; } = new();

    public void Batch(string modelVersion, int size, int expired, int queueDepth) { }

    public void OnnxRun(string modelVersion, string role, double seconds) => Runs.AddOrUpdate(role, 1, (_, n) => n + 1);

    public void StateStore(string operation, double seconds) { }

    public void Loaded(IReadOnlyList<(string ModelVersion, string Provider, string SnapshotVersion)> versions) { }

    public void ListShown(string modelVersion, bool newUser) => Calls.Enqueue($"shown {modelVersion} new={newUser}");

    public void NextEventRanked(string modelVersion, int rank) => Calls.Enqueue($"ranked {modelVersion} {rank}");

    public void NextEventUnmatched(string modelVersion) => Calls.Enqueue($"unmatched {modelVersion}");
}

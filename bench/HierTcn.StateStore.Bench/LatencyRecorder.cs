namespace HierTcn.StateStore.Bench;

/// <summary>Collects per-operation latencies (one list per worker, merged at the end) and reports percentiles.</summary>
public sealed class LatencyRecorder
{
    private readonly List<double>[] _perWorker;

    public LatencyRecorder(int workers)
    {
        _perWorker = new List<double>[workers];
        for (int i = 0; i < workers; i++)
            _perWorker[i] = new List<double>(1 << 16);
    }

    public void Add(int worker, double microseconds) => _perWorker[worker].Add(microseconds);

    public (long Count, double P50, double P99) Summary()
    {
        var all = _perWorker.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return all.Length == 0 ? (0, 0, 0) : (all.Length, At(all, 0.50), At(all, 0.99));
    }

    private static double At(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
}

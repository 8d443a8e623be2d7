namespace HierTcn.LoadGen;

/// <summary>Latencies in microseconds from many threads; percentiles over everything recorded.</summary>
internal sealed class Latencies
{
    private readonly List<double> _values;

    public Latencies(int capacity = 0) => _values = new List<double>(capacity);

    public void Add(double microseconds)
    {
        lock (_values)
            _values.Add(microseconds);
    }

    public int Count
    {
        get
        {
            lock (_values)
                return _values.Count;
        }
    }

    public string Summary()
    {
        double[] v;
        lock (_values)
            v = [.. _values];
        if (v.Length == 0)
            return "no samples";
        Array.Sort(v);
        double P(double q) => v[Math.Min(v.Length - 1, (int)Math.Ceiling(q * v.Length) - 1)] / 1000.0;
        return $"p50 {P(0.50):F2} ms, p99 {P(0.99):F2} ms, p99.9 {P(0.999):F2} ms, max {v[^1] / 1000.0:F2} ms ({v.Length} samples)";
    }
}

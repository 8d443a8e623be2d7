namespace HierTcn.Data.Evaluation.Internal;

/// <summary>Sums of the per-event terms of PROTOCOL.md section 7; averages on <see cref="ToMetricSet"/>.</summary>
internal struct MetricAccumulator
{
    private long _hit1, _hit5, _hit10, _hit20, _n;
    private double _reciprocal, _relative;

    public readonly long Count => _n;

    /// <summary>Adds one event of rank <paramref name="rank"/> among <paramref name="size"/> items.</summary>
    public void Add(int rank, int size)
    {
        _n++;
        if (rank <= 1) _hit1++;
        if (rank <= 5) _hit5++;
        if (rank <= 10) _hit10++;
        if (rank <= 20) _hit20++;
        _reciprocal += 1.0 / rank;
        _relative += (double)rank / size;
    }

    public readonly MetricSet ToMetricSet()
    {
        if (_n == 0)
        {
            return new MetricSet();
        }
        double n = _n;
        return new MetricSet
        {
            Recall1 = _hit1 / n,
            Recall5 = _hit5 / n,
            Recall10 = _hit10 / n,
            Recall20 = _hit20 / n,
            Mrr = _reciprocal / n,
            Mrp = _relative / n,
            N = _n,
        };
    }
}

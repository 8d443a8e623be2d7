namespace HierTcn.Data.Evaluation.Internal;

/// <summary>Mean of per-user metric sets (each user weighs the same).</summary>
internal struct UserAverage
{
    private double _r1, _r5, _r10, _r20, _mrr, _mrp;
    private long _users;

    public void Add(MetricSet user)
    {
        if (user.N == 0)
        {
            return;
        }
        _users++;
        _r1 += user.Recall1;
        _r5 += user.Recall5;
        _r10 += user.Recall10;
        _r20 += user.Recall20;
        _mrr += user.Mrr;
        _mrp += user.Mrp;
    }

    public readonly MetricSet ToMetricSet()
    {
        if (_users == 0)
        {
            return new MetricSet();
        }
        double n = _users;
        return new MetricSet
        {
            Recall1 = _r1 / n,
            Recall5 = _r5 / n,
            Recall10 = _r10 / n,
            Recall20 = _r20 / n,
            Mrr = _mrr / n,
            Mrp = _mrp / n,
            N = _users,
        };
    }
}

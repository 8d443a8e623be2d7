namespace HierTcn.Data.Experiments;

/// <summary>
/// The statistics of the A/B report, on per-event counters (each matched next event one observation; events of one
/// user are treated as independent, which narrows the intervals when a user's events agree with each other).
/// Recall@k is a proportion, MRR a mean of reciprocal ranks in [0, 1]; both are normal approximations, sound at the
/// hundreds of events an A/B arm collects.
/// </summary>
public static class AbStatistics
{
    /// <summary>The 97.5% quantile of the standard normal: a two-sided 95% interval is +- this many standard errors.</summary>
    public const double Z975 = 1.959963984540054;

    /// <summary>The 80% quantile of the standard normal (80% power).</summary>
    public const double Z80 = 0.8416212335729143;

    /// <summary>A proportion <paramref name="hits"/>/<paramref name="n"/> with the Wald interval,
    /// p +- 1.96 sqrt(p(1-p)/n).</summary>
    public static Estimate Proportion(double hits, double n) =>
        n <= 0 ? Estimate.None : Estimate.Normal(hits / n, Math.Sqrt(hits / n * (1 - hits / n) / n));

    /// <summary>The mean of n values from their sum and sum of squares, with the interval mean +- 1.96 s/sqrt(n),
    /// s^2 = (sumSquares - n mean^2)/(n-1) the sample variance.</summary>
    public static Estimate Mean(double sum, double sumSquares, double n)
    {
        if (n <= 1)
            return n == 1 ? new Estimate(sum, double.NaN, double.NaN, double.NaN) : Estimate.None;
        double mean = sum / n;
        double variance = Math.Max(0, (sumSquares - n * mean * mean) / (n - 1));
        return Estimate.Normal(mean, Math.Sqrt(variance / n));
    }

    /// <summary>The difference <paramref name="treatment"/> - <paramref name="control"/> of two independent
    /// estimates, with standard error sqrt(se1^2 + se0^2).</summary>
    public static Estimate Difference(Estimate treatment, Estimate control)
    {
        ArgumentNullException.ThrowIfNull(treatment);
        ArgumentNullException.ThrowIfNull(control);
        return Estimate.Normal(treatment.Value - control.Value,
            Math.Sqrt(treatment.StandardError * treatment.StandardError + control.StandardError * control.StandardError));
    }

    /// <summary>The two-proportion z-test of h1/n1 against h0/n0 under the pooled proportion
    /// (h0+h1)/(n0+n1): z and its two-sided p-value.</summary>
    public static (double Z, double P) TwoProportionTest(double h1, double n1, double h0, double n0)
    {
        if (n0 <= 0 || n1 <= 0)
            return (double.NaN, double.NaN);
        double pooled = (h0 + h1) / (n0 + n1);
        double se = Math.Sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1));
        if (se == 0)
            return (0, 1);
        double z = (h1 / n1 - h0 / n0) / se;
        return (z, TwoSidedP(z));
    }

    /// <summary>The z-test of a difference estimate against 0 (its own standard error): z and the two-sided p-value.</summary>
    public static (double Z, double P) DifferenceTest(Estimate difference)
    {
        ArgumentNullException.ThrowIfNull(difference);
        if (double.IsNaN(difference.StandardError))
            return (double.NaN, double.NaN);
        if (difference.StandardError == 0)
            return (0, 1);
        double z = difference.Value / difference.StandardError;
        return (z, TwoSidedP(z));
    }

    /// <summary>2 (1 - Phi(|z|)).</summary>
    public static double TwoSidedP(double z) => Math.Min(1, 2 * NormalCdf(-Math.Abs(z)));

    /// <summary>
    /// Power of the two-sided 5% two-proportion test to detect a relative lift <paramref name="lift"/> of the
    /// control's proportion <paramref name="p0"/> (treatment p1 = p0 (1 + lift)) with <paramref name="n0"/> and
    /// <paramref name="n1"/> events: Phi(|d|/se - 1.96) + Phi(-|d|/se - 1.96), d = p1 - p0,
    /// se = sqrt(p0(1-p0)/n0 + p1(1-p1)/n1). Also the events each arm needs for 80% power at the current ratio
    /// r = n1/n0: n0 = (1.96 + 0.84)^2 (p0(1-p0) + p1(1-p1)/r) / d^2, n1 = r n0.
    /// </summary>
    public static (double Power, double NeededControl, double NeededTreatment) Power(double p0, double lift, double n0, double n1)
    {
        double p1 = Math.Clamp(p0 * (1 + lift), 0, 1);
        double d = Math.Abs(p1 - p0);
        if (n0 <= 0 || n1 <= 0 || d == 0 || double.IsNaN(d))
            return (double.NaN, double.NaN, double.NaN);
        double v0 = p0 * (1 - p0), v1 = p1 * (1 - p1);
        double se = Math.Sqrt(v0 / n0 + v1 / n1);
        double power = NormalCdf(d / se - Z975) + NormalCdf(-d / se - Z975);
        double ratio = n1 / n0;
        double needed0 = Math.Pow(Z975 + Z80, 2) * (v0 + v1 / ratio) / (d * d);
        return (power, needed0, needed0 * ratio);
    }

    /// <summary>The standard normal CDF, from erfc (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).</summary>
    public static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    private static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}

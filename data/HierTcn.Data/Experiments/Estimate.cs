using System.Text.Json.Serialization;

namespace HierTcn.Data.Experiments;

/// <summary>A value with its standard error and its two-sided 95% confidence interval (normal approximation). NaN
/// throughout when there is nothing to estimate from.</summary>
public sealed record Estimate(
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("standard_error")] double StandardError,
    [property: JsonPropertyName("ci95_low")] double Low,
    [property: JsonPropertyName("ci95_high")] double High)
{
    /// <summary>Value +- 1.96 standard errors.</summary>
    public static Estimate Normal(double value, double standardError) =>
        new(value, standardError, value - AbStatistics.Z975 * standardError, value + AbStatistics.Z975 * standardError);

    public static Estimate None { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN);
}

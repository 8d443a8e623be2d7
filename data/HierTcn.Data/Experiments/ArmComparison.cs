using System.Text.Json.Serialization;

namespace HierTcn.Data.Experiments;

/// <summary>A treatment arm against the control: differences (treatment - control) with their 95% intervals and
/// two-sided tests (Recall@10: two-proportion z-test, pooled; MRR: z-test on the difference of means), and the power
/// to detect a relative <see cref="Lift"/> of the control's Recall@10 with the events so far.</summary>
public sealed record ArmComparison
{
    [JsonPropertyName("treatment")] public required string Treatment { get; init; }
    [JsonPropertyName("control")] public required string Control { get; init; }
    [JsonPropertyName("recall@10_difference")] public required Estimate Recall10Difference { get; init; }
    [JsonPropertyName("recall@10_z")] public double Recall10Z { get; init; }
    [JsonPropertyName("recall@10_p")] public double Recall10P { get; init; }
    [JsonPropertyName("mrr_difference")] public required Estimate MrrDifference { get; init; }
    [JsonPropertyName("mrr_z")] public double MrrZ { get; init; }
    [JsonPropertyName("mrr_p")] public double MrrP { get; init; }
    [JsonPropertyName("lift")] public double Lift { get; init; }
    [JsonPropertyName("power")] public double Power { get; init; }
    [JsonPropertyName("needed_control_events")] public double NeededControlEvents { get; init; }
    [JsonPropertyName("needed_treatment_events")] public double NeededTreatmentEvents { get; init; }

    /// <summary>True when the test reaches 80% power for <see cref="Lift"/> with the events so far.</summary>
    [JsonPropertyName("enough_traffic")] public bool EnoughTraffic => Power >= 0.8;

    public static ArmComparison Of(ArmSummary treatment, ArmSummary control, double lift)
    {
        ArgumentNullException.ThrowIfNull(treatment);
        ArgumentNullException.ThrowIfNull(control);
        var recall = AbStatistics.Difference(treatment.Recall10, control.Recall10);
        var (rz, rp) = AbStatistics.TwoProportionTest(treatment.Counts.Hits10, treatment.Counts.NextEvents, control.Counts.Hits10,
            control.Counts.NextEvents);
        var mrr = AbStatistics.Difference(treatment.Mrr, control.Mrr);
        var (mz, mp) = AbStatistics.DifferenceTest(mrr);
        var (power, n0, n1) = AbStatistics.Power(control.Recall10.Value, lift, control.Counts.NextEvents, treatment.Counts.NextEvents);
        return new ArmComparison
        {
            Treatment = treatment.Counts.Version,
            Control = control.Counts.Version,
            Recall10Difference = recall,
            Recall10Z = rz,
            Recall10P = rp,
            MrrDifference = mrr,
            MrrZ = mz,
            MrrP = mp,
            Lift = lift,
            Power = power,
            NeededControlEvents = n0,
            NeededTreatmentEvents = n1,
        };
    }
}

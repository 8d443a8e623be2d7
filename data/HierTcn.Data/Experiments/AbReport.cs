using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HierTcn.Data.Experiments;

/// <summary>
/// The verdict of an A/B test from the online counters (<c>./hiertcn ab report</c>): every arm with Recall@10 and MRR
/// and their 95% intervals, every other arm against the control, and which arm is better. The decision is on
/// Recall@10 at the two-sided 5% level: an arm is named better when it beats the control significantly (the best
/// such arm by Recall@10), the control when it beats every other arm significantly; otherwise none yet.
/// </summary>
public sealed record AbReport
{
    /// <summary>Significance level of the verdict.</summary>
    public const double Alpha = 0.05;

    [JsonPropertyName("arms")] public required IReadOnlyList<ArmSummary> Arms { get; init; }
    [JsonPropertyName("control")] public required string Control { get; init; }
    [JsonPropertyName("comparisons")] public required IReadOnlyList<ArmComparison> Comparisons { get; init; }
    /// <summary>The better arm, or null while no difference is significant.</summary>
    [JsonPropertyName("better")] public string? Better { get; init; }
    [JsonPropertyName("verdict")] public required string Verdict { get; init; }

    /// <summary>Builds the report. <paramref name="control"/>: the arm others are compared with; null picks the arm
    /// with the most recommendations (the incumbent in a rollout; ties by name). <paramref name="lift"/>: the
    /// relative lift of Recall@10 the power estimate is for (0.05 = 5%).</summary>
    /// <exception cref="ArgumentException">No arms, or a control that is not one of them.</exception>
    public static AbReport Build(IReadOnlyList<ArmCounts> arms, string? control, double lift)
    {
        ArgumentNullException.ThrowIfNull(arms);
        if (arms.Count == 0)
            throw new ArgumentException("no online A/B series found (hiertcn_inference_online_*): is OnlineMetrics on, and have events followed recommendations?", nameof(arms));
        var summaries = arms.OrderBy(a => a.Version, StringComparer.Ordinal).Select(ArmSummary.Of).ToList();
        var chosen = control is null
            ? summaries.OrderByDescending(a => a.Counts.Recommendations).ThenBy(a => a.Counts.Version, StringComparer.Ordinal).First()
            : summaries.FirstOrDefault(a => a.Counts.Version == control)
              ?? throw new ArgumentException($"control arm '{control}' is not among the arms found: {string.Join(", ", summaries.Select(a => a.Counts.Version))}", nameof(control));
        var comparisons = summaries.Where(a => a != chosen).Select(a => ArmComparison.Of(a, chosen, lift)).ToList();
        var winners = comparisons.Where(c => c.Recall10P < Alpha && c.Recall10Difference.Value > 0).ToList();
        string? better;
        string verdict;
        if (winners.Count > 0)
        {
            var best = winners.OrderByDescending(c => c.Recall10Difference.Value).First();
            better = best.Treatment;
            verdict = $"{better} is better than {chosen.Counts.Version}: Recall@10 {Signed(best.Recall10Difference.Value)} (p {P(best.Recall10P)})";
        }
        else if (comparisons.Count > 0 && comparisons.All(c => c.Recall10P < Alpha && c.Recall10Difference.Value < 0))
        {
            better = chosen.Counts.Version;
            verdict = $"{better} (control) is better than every other arm on Recall@10 (largest p {P(comparisons.Max(c => c.Recall10P))})";
        }
        else
        {
            better = null;
            verdict = comparisons.Count == 0
                ? "one arm only: nothing to compare"
                : $"no significant difference in Recall@10 yet (at the {Alpha:0.##} level)";
        }
        return new AbReport { Arms = summaries, Control = chosen.Counts.Version, Comparisons = comparisons, Better = better, Verdict = verdict };
    }

    /// <summary>The report for people: a table of arms, each comparison, the verdict.</summary>
    public string ToText()
    {
        var s = new StringBuilder();
        var rows = new List<string[]> { new[] { "arm", "users", "recommendations", "matched next events", "unmatched events", "Recall@10 [95% CI]", "MRR [95% CI]" } };
        foreach (var a in Arms)
        {
            var c = a.Counts;
            rows.Add([c.Version + (c.Version == Control ? " (control)" : ""), Count(c.Users), Count(c.Recommendations), Count(c.NextEvents),
                Count(c.UnmatchedEvents), WithInterval(a.Recall10), WithInterval(a.Mrr)]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var r in rows)
            s.AppendLine(string.Join("  ", r.Select((cell, i) => i == 0 || i >= 5 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
        foreach (var c in Comparisons)
        {
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"{c.Treatment} - {c.Control}:");
            s.AppendLine(CultureInfo.InvariantCulture, $"  Recall@10  {Signed(c.Recall10Difference.Value)} [{Signed(c.Recall10Difference.Low)}, {Signed(c.Recall10Difference.High)}]  z {F(c.Recall10Z, "0.00")}  p {P(c.Recall10P)}");
            s.AppendLine(CultureInfo.InvariantCulture, $"  MRR        {Signed(c.MrrDifference.Value)} [{Signed(c.MrrDifference.Low)}, {Signed(c.MrrDifference.High)}]  z {F(c.MrrZ, "0.00")}  p {P(c.MrrP)}");
            var control = Arms.First(a => a.Counts.Version == c.Control).Recall10.Value;
            s.AppendLine(CultureInfo.InvariantCulture, $"  power to detect a {c.Lift:0.#%} relative lift of Recall@10 ({F(control, "0.0000")} -> {F(control * (1 + c.Lift), "0.0000")}): "
                + $"{F(c.Power, "0.00")} ({(c.EnoughTraffic ? "enough traffic" : "not enough traffic yet")}); 80% power needs about "
                + $"{Count(Math.Ceiling(c.NeededControlEvents))} matched events in {c.Control} and {Count(Math.Ceiling(c.NeededTreatmentEvents))} in {c.Treatment}");
        }
        s.AppendLine();
        s.AppendLine("verdict: " + Verdict);
        return s.ToString();
    }

    /// <summary>The report for pipelines (NaN and infinities written as null).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Converters = { new FiniteDoubleConverter() },
    };

    private static string WithInterval(Estimate e) =>
        double.IsNaN(e.Value) ? "n/a" : $"{F(e.Value, "0.0000")} [{F(e.Low, "0.0000")}, {F(e.High, "0.0000")}]";

    private static string Signed(double v) => double.IsNaN(v) ? "n/a" : v.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);

    private static string P(double p) => double.IsNaN(p) ? "n/a" : p < 0.0001 ? "< 0.0001" : p.ToString("0.0000", CultureInfo.InvariantCulture);

    private static string F(double v, string format) => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);

    private static string Count(double v) => double.IsNaN(v) || double.IsInfinity(v) ? "n/a" : v.ToString("#,0", CultureInfo.InvariantCulture);

    private sealed class FiniteDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
                writer.WriteNumberValue(value);
            else
                writer.WriteNullValue();
        }
    }
}

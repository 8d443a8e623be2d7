using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HierTcn.Charts.Tests.Support;
using Xunit.Abstractions;

namespace HierTcn.Charts.Tests;

/// <summary>
/// The chart's Prometheus rules (files/prometheus-rules.yaml and the PrometheusRule template): only metrics the
/// services export, alerts with a severity, summary, description and a runbook section in charts/README.md, a
/// firing promtool unit test for every alert, and promtool's own checks where promtool is installed.
/// </summary>
public sealed partial class MonitoringRulesTests(ITestOutputHelper output)
{
    private static readonly (string Name, double Weight)[] CpuExampleVersions = [("v1", 90), ("v2", 10)];

    private static string RenderedGroups => RuleFiles.RenderTemplateGroups(CpuExampleVersions, "recs", "recs");

    private static IReadOnlyList<RuleFiles.Rule> PlainRules => RuleFiles.Parse(File.ReadAllText(RuleFiles.PlainFile), "prometheus-rules.yaml");

    private static IReadOnlyList<RuleFiles.Rule> TemplateRules => RuleFiles.Parse(RenderedGroups, "prometheusrule.yaml (rendered groups)");

    [Fact]
    public void ExportedMetrics_FoundInServiceSources()
    {
        var names = ExportedMetrics.Definitions.Select(d => d.Name).ToList();
        Assert.True(names.Count >= 15, $"only {names.Count} metric definitions found: {string.Join(", ", names)}");
        Assert.Contains("hiertcn_inference_call_duration_seconds", names);
        Assert.Contains("hiertcn_statestore_writes_refused", names);
        Assert.Equal(names.Count, names.Distinct().Count());
        var calls = ExportedMetrics.Definitions.Single(d => d.Name == "hiertcn_inference_calls_total");
        Assert.Equal(["method", "code"], calls.LabelNames);
        Assert.Contains("hiertcn_inference_call_duration_seconds_bucket", ExportedMetrics.Samples.Keys);
        Assert.Contains("le", ExportedMetrics.Samples["hiertcn_inference_call_duration_seconds_bucket"]);
        Assert.Contains("process_start_time_seconds", ExportedMetrics.Samples.Keys);
        // Names and labels given as constants (HierTcn.Formats.OnlineMetricNames) are resolved.
        Assert.Equal(["model_version", "k"], ExportedMetrics.Definitions.Single(d => d.Name == "hiertcn_inference_online_hits_total").LabelNames);
        Assert.Contains("hiertcn_inference_online_reciprocal_rank_sum", ExportedMetrics.Samples.Keys);
    }

    [Fact]
    public void ExportedMetrics_Scan_ReadsNameTypeAndLabels()
    {
        const string source = """
            var a = Metrics.CreateHistogram(
                "x_seconds", "Help (with parentheses).",
                new HistogramConfiguration { LabelNames = ["method", "model_version"], Buckets = [1, 2] });
            var b = factory.CreateGauge("y_bytes", "No labels.");
            var c = Metrics.CreateCounter(Names.Z, "From constants.", new CounterConfiguration { LabelNames = [Names.Arm, "k"] });
            """;
        var constants = ExportedMetrics.Constants("""
            public static class Names
            {
                public const string Z = "z_total";
                public const string Arm = "model_version";
            }
            """).ToDictionary(c => c.Name, c => c.Value);
        var found = ExportedMetrics.Scan(source, "t.cs", constants);
        Assert.Equal(3, found.Count);
        Assert.Equal(("z_total", "counter"), (found[2].Name, found[2].Type));
        Assert.Equal(["model_version", "k"], found[2].LabelNames);
        Assert.Equal(("x_seconds", "histogram"), (found[0].Name, found[0].Type));
        Assert.Equal(["method", "model_version"], found[0].LabelNames);
        Assert.Equal(("y_bytes", "gauge"), (found[1].Name, found[1].Type));
        Assert.Empty(found[1].LabelNames);
    }

    [Fact]
    public void PromQl_Selectors_SkipFunctionsKeywordsAndGroupingLabels()
    {
        const string expr = """
            histogram_quantile(0.99, sum by (namespace, le) (rate(a_bucket{method="Recommend", code!~"OK|X"}[5m])))
            / ignoring (code) group_left b:rate5m > 1e3 and on (job) (time() - c_seconds) > 25 * 3600
            or min_over_time(timestamp(d)[26h:5m])
            """;
        var selectors = PromQl.Selectors(expr);
        Assert.Equal(["a_bucket", "b:rate5m", "c_seconds", "d"], selectors.Select(s => s.Name));
        Assert.Equal(["method", "code"], selectors[0].Labels);
        Assert.Equal(["namespace", "le", "code", "job"], PromQl.GroupingLabels(expr));
    }

    [Fact]
    public void Rules_UseOnlyExportedMetricsAndLabels()
    {
        var problems = CheckExpressions(TemplateRules.Select(r => (Where: r.Alert ?? r.Record!, r.Expression)),
            TemplateRules.Where(r => r.Record is not null).Select(r => r.Record!).ToHashSet(StringComparer.Ordinal));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Rules_TemplateCarriesThePlainFileAndOneArmAlertPerWeightedVersion()
    {
        var plain = PlainRules;
        var rendered = TemplateRules;
        Assert.Equal(plain.Select(r => r.Alert ?? r.Record), rendered.Take(plain.Count).Select(r => r.Alert ?? r.Record));
        var arms = rendered.Skip(plain.Count).ToList();
        Assert.Equal(["v1", "v2"], arms.Select(r => r.Node["labels"]!["model_version"]!.GetValue<string>()));
        Assert.All(arms, a => Assert.Equal("HierTcnAbArmNoTraffic", a.Alert));
        Assert.Contains("job=\"recs-hiertcn-inference\"", arms[1].Expression, StringComparison.Ordinal);
        Assert.Contains("model_version=\"v2\"", arms[1].Expression, StringComparison.Ordinal);
        // One weighted version (the default values): nothing to compare, no arm alert. Weight 0 is not an arm.
        Assert.Equal(plain.Count, RuleFiles.Parse(RuleFiles.RenderTemplateGroups([("v1", 100), ("v0", 0)], "recs", "recs"), "one arm").Count);
        string template = File.ReadAllText(RuleFiles.Template);
        Assert.StartsWith("{{- if .Values.monitoring.prometheusRule.enabled }}", template, StringComparison.Ordinal);
    }

    [Fact]
    public void Alerts_HaveSeveritySummaryDescriptionAndRunbookSection()
    {
        string readme = File.ReadAllText(Path.Combine(ChartPaths.ChartsDirectory, "README.md"));
        var headings = Heading().Matches(readme).Select(m => m.Groups[1].Value.Trim()).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        var alerts = TemplateRules.Where(r => r.Alert is not null).ToList();
        Assert.True(alerts.Count >= 17, $"only {alerts.Count} alerts");
        foreach (var rule in alerts)
        {
            string name = rule.Alert!;
            string? severity = rule.Node["labels"]?["severity"]?.GetValue<string>();
            if (severity is not ("critical" or "warning"))
                problems.Add($"{name}: severity label is '{severity}', not critical or warning");
            foreach (string annotation in new[] { "summary", "description", "runbook" })
            {
                if (string.IsNullOrWhiteSpace(rule.Node["annotations"]?[annotation]?.GetValue<string>()))
                    problems.Add($"{name}: no '{annotation}' annotation");
            }
            string expected = "charts/README.md#" + name.ToLowerInvariant();
            if (rule.Node["annotations"]?["runbook"]?.GetValue<string>() != expected)
                problems.Add($"{name}: runbook annotation is not '{expected}'");
            if (!headings.Contains(name))
                problems.Add($"{name}: charts/README.md has no '### {name}' runbook section");
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems.Distinct()));
    }

    [Fact]
    public void Alerts_EachHasAFiringPromtoolUnitTest()
    {
        var fired = new HashSet<string>(StringComparer.Ordinal);
        foreach (string file in new[] { "prometheus-rules.test.yaml", "prometheus-ab-arms.test.yaml" })
        {
            var tests = YamlValues.Load(ChartPaths.TestData(file))["tests"]!.AsArray();
            foreach (var test in tests.Select(t => t!["alert_rule_test"]).OfType<JsonArray>().SelectMany(a => a))
            {
                if (test!["exp_alerts"] is JsonArray { Count: > 0 })
                    fired.Add(test["alertname"]!.GetValue<string>());
            }
        }
        var untested = TemplateRules.Where(r => r.Alert is not null && !fired.Contains(r.Alert)).Select(r => r.Alert!).Distinct().ToList();
        Assert.True(untested.Count == 0, "alerts no unit test fires: " + string.Join(", ", untested));
    }

    [PromtoolFact]
    public void Promtool_CheckRules_AcceptsPlainFileAndTemplateGroups()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "rendered.yaml"), RenderedGroups);
        foreach (string file in new[] { RuleFiles.PlainFile, Path.Combine(dir.Path, "rendered.yaml") })
        {
            var (code, text) = Promtool.Run(dir.Path, "check", "rules", file);
            output.WriteLine(text);
            Assert.True(code == 0, $"promtool check rules {file}: exit {code}\n{text}");
        }
    }

    [PromtoolFact]
    public void Promtool_TestRules_EveryAlertFiresAndStaysQuietAsExpected()
    {
        var (code, text) = Promtool.Run(Path.GetDirectoryName(ChartPaths.TestData("x"))!, "test", "rules", "prometheus-rules.test.yaml");
        output.WriteLine(text);
        Assert.True(code == 0, $"promtool test rules: exit {code}\n{text}");
    }

    [PromtoolFact]
    public void Promtool_TestRules_ArmAlertOfTheTemplate()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "rules.yaml"), RenderedGroups);
        File.Copy(ChartPaths.TestData("prometheus-ab-arms.test.yaml"), Path.Combine(dir.Path, "prometheus-ab-arms.test.yaml"));
        var (code, text) = Promtool.Run(dir.Path, "test", "rules", "prometheus-ab-arms.test.yaml");
        output.WriteLine(text);
        Assert.True(code == 0, $"promtool test rules: exit {code}\n{text}");
    }

    [Fact]
    public void CheckExpressions_UnknownMetricOrLabel_Reported()
    {
        var problems = CheckExpressions(
            [("A", "rate(hiertcn_inference_calls_total{status=\"x\"}[5m]) + hiertcn_inference_snapshot_age_seconds"), ("B", "sum by (shard) (x:y)")],
            new HashSet<string>(StringComparer.Ordinal) { "x:y" });
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("hiertcn_inference_snapshot_age_seconds", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'status'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'shard'", StringComparison.Ordinal));
    }

    /// <summary>Every metric an expression selects is exported by the services (or recorded by a rule), and every
    /// label it matches or groups by is one such a series carries.</summary>
    internal static List<string> CheckExpressions(IEnumerable<(string Where, string Expression)> expressions, IReadOnlySet<string> recorded)
    {
        var problems = new List<string>();
        var samples = ExportedMetrics.Samples;
        var allLabels = ExportedMetrics.AllLabels;
        foreach (var (where, expression) in expressions)
        {
            foreach (var selector in PromQl.Selectors(expression))
            {
                if (samples.TryGetValue(selector.Name, out var labels))
                {
                    foreach (string label in selector.Labels.Where(l => !labels.Contains(l) && !ExportedMetrics.TargetLabels.Contains(l)))
                        problems.Add($"{where}: {selector.Name} has no label '{label}' (it has {string.Join(", ", labels)})");
                }
                else if (!recorded.Contains(selector.Name))
                {
                    problems.Add($"{where}: {selector.Name} is not a metric the services export nor a recorded rule");
                }
                else
                {
                    foreach (string label in selector.Labels.Where(l => !allLabels.Contains(l)))
                        problems.Add($"{where}: no exported series has the label '{label}' ({selector.Name})");
                }
            }
            foreach (string label in PromQl.GroupingLabels(expression).Where(l => !allLabels.Contains(l)))
                problems.Add($"{where}: no exported series has the label '{label}' it groups or matches by");
        }
        return problems;
    }

    [GeneratedRegex(@"^###\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}

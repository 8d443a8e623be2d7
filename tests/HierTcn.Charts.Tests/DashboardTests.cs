using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HierTcn.Charts.Tests.Support;
using HierTcn.Formats;

namespace HierTcn.Charts.Tests;

/// <summary>
/// The Grafana dashboard (files/dashboards/hiertcn.json, shipped by templates/dashboard-configmap.yaml): it parses,
/// has a Prometheus datasource variable that every panel and query uses, unique panel ids, the rows issue 17 asks
/// for, and queries only metrics and labels the services export.
/// </summary>
public sealed partial class DashboardTests
{
    private static readonly string DashboardFile = Path.Combine(ChartPaths.Chart, "files", "dashboards", "hiertcn.json");

    private static JsonObject Dashboard => JsonNode.Parse(File.ReadAllText(DashboardFile))!.AsObject();

    private static IEnumerable<JsonObject> AllPanels(JsonObject dashboard) =>
        dashboard["panels"]!.AsArray().Select(p => p!.AsObject())
            .SelectMany(p => new[] { p }.Concat(p["panels"] is JsonArray nested ? nested.Select(n => n!.AsObject()) : []));

    [Fact]
    public void Dashboard_ParsesWithTitleUidAndDatasourceVariable()
    {
        var dashboard = Dashboard;
        Assert.False(string.IsNullOrWhiteSpace(dashboard["title"]?.GetValue<string>()));
        Assert.Matches("^[a-z0-9-]{1,40}$", dashboard["uid"]!.GetValue<string>());
        var variables = dashboard["templating"]!["list"]!.AsArray().Select(v => v!.AsObject()).ToList();
        var datasource = Assert.Single(variables, v => v["type"]!.GetValue<string>() == "datasource");
        Assert.Equal("datasource", datasource["name"]!.GetValue<string>());
        Assert.Equal("prometheus", datasource["query"]!.GetValue<string>());
    }

    [Fact]
    public void Dashboard_PanelsHaveUniqueIdsQueriesAndTheDatasourceVariable()
    {
        var problems = new List<string>();
        var panels = AllPanels(Dashboard).ToList();
        var ids = panels.Select(p => p["id"]!.GetValue<int>()).ToList();
        foreach (int duplicate in ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key))
            problems.Add($"panel id {duplicate} is used more than once");
        foreach (var panel in panels.Where(p => p["type"]!.GetValue<string>() != "row"))
        {
            string title = panel["title"]!.GetValue<string>();
            if (panel["datasource"]?["uid"]?.GetValue<string>() != "${datasource}")
                problems.Add($"{title}: panel datasource is not ${{datasource}}");
            var targets = panel["targets"] as JsonArray;
            if (targets is null || targets.Count == 0)
                problems.Add($"{title}: no queries");
            foreach (var target in targets ?? [])
            {
                if (string.IsNullOrWhiteSpace(target!["expr"]?.GetValue<string>()))
                    problems.Add($"{title}: a query has no expr");
                if (target["datasource"]?["uid"]?.GetValue<string>() != "${datasource}")
                    problems.Add($"{title}: query {target["refId"]} does not use ${{datasource}}");
            }
            if (panel["gridPos"] is not JsonObject grid || grid["w"]!.GetValue<int>() is < 1 or > 24)
                problems.Add($"{title}: no gridPos or a width outside 1..24");
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Dashboard_PanelsDoNotOverlap()
    {
        var boxes = AllPanels(Dashboard)
            .Select(p => (Title: p["title"]!.GetValue<string>(), G: p["gridPos"]!))
            .Select(p => (p.Title, X: p.G["x"]!.GetValue<int>(), Y: p.G["y"]!.GetValue<int>(), W: p.G["w"]!.GetValue<int>(), H: p.G["h"]!.GetValue<int>()))
            .ToList();
        var overlaps = new List<string>();
        for (int i = 0; i < boxes.Count; i++)
        {
            for (int j = i + 1; j < boxes.Count; j++)
            {
                var (a, b) = (boxes[i], boxes[j]);
                if (a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H)
                    overlaps.Add($"'{a.Title}' overlaps '{b.Title}'");
            }
        }
        Assert.True(overlaps.Count == 0, string.Join('\n', overlaps));
    }

    [Fact]
    public void Dashboard_HasTheRowsOfIssue17()
    {
        var rows = AllPanels(Dashboard).Where(p => p["type"]!.GetValue<string>() == "row").Select(p => p["title"]!.GetValue<string>()).ToList();
        Assert.Contains("Traffic and latency per model version", rows);
        Assert.Contains("Batching and queueing", rows);
        Assert.Contains("ONNX Runtime: providers, snapshots and run times", rows);
        Assert.Contains("State store: latency and errors per shard", rows);
    }

    [Fact]
    public void Dashboard_AbRow_ShowsEveryOnlineSeriesAndTheExperimentInUse()
    {
        // The row of issue 12: the panels between its header and the next row query each online A/B series the
        // service exports and the experiment file's metrics.
        var panels = Dashboard["panels"]!.AsArray().Select(p => p!.AsObject()).ToList();
        int start = panels.FindIndex(p => p["type"]!.GetValue<string>() == "row" && p["title"]!.GetValue<string>() == "A/B online metrics per model version");
        Assert.True(start >= 0, "no A/B row");
        var row = panels.Skip(start + 1).TakeWhile(p => p["type"]!.GetValue<string>() != "row").ToList();
        string queries = string.Join('\n', row.SelectMany(p => p["targets"]!.AsArray()).Select(t => t!["expr"]!.GetValue<string>()));
        foreach (string series in new[]
                 {
                     OnlineMetricNames.Lists, OnlineMetricNames.Users, OnlineMetricNames.NextEvents, OnlineMetricNames.Hits,
                     OnlineMetricNames.ReciprocalRank + "_sum", OnlineMetricNames.ReciprocalRank + "_count", OnlineMetricNames.UnmatchedEvents,
                     "hiertcn_inference_experiment_file_rejections_total", "hiertcn_inference_experiment_applied_timestamp_seconds",
                     "hiertcn_inference_experiment_api_watch_up",
                 })
            Assert.Contains(series, queries, StringComparison.Ordinal);
    }

    [Fact]
    public void Dashboard_QueriesUseOnlyExportedMetricsAndLabels()
    {
        var dashboard = Dashboard;
        var expressions = new List<(string, string)>();
        foreach (var panel in AllPanels(dashboard))
        {
            foreach (var target in panel["targets"] as JsonArray ?? [])
                expressions.Add(($"panel '{panel["title"]}' {target!["refId"]}", target["expr"]!.GetValue<string>()));
        }
        var labelValuesLabels = new List<string>();
        foreach (var variable in dashboard["templating"]!["list"]!.AsArray().Where(v => v!["type"]!.GetValue<string>() == "query"))
        {
            string query = variable!["query"] is JsonObject q ? q["query"]!.GetValue<string>() : variable["query"]!.GetValue<string>();
            var labelValues = LabelValues().Match(query);
            Assert.True(labelValues.Success, $"variable {variable["name"]}: only label_values(selector, label) queries are checked: {query}");
            expressions.Add(($"variable {variable["name"]}", labelValues.Groups[1].Value));
            labelValuesLabels.Add(labelValues.Groups[2].Value);
        }
        Assert.True(expressions.Count > 30, $"only {expressions.Count} queries found");
        var problems = MonitoringRulesTests.CheckExpressions(expressions, new HashSet<string>(StringComparer.Ordinal));
        problems.AddRange(labelValuesLabels.Where(l => !ExportedMetrics.AllLabels.Contains(l)).Select(l => $"label_values of unknown label '{l}'"));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void ConfigMapTemplate_ShipsTheFileWithTheSidecarLabel()
    {
        string template = File.ReadAllText(Path.Combine(ChartPaths.Templates, "dashboard-configmap.yaml"));
        Assert.StartsWith("{{- if .Values.monitoring.dashboard.enabled }}", template, StringComparison.Ordinal);
        Assert.Contains("{{- .Files.Get \"files/dashboards/hiertcn.json\" | nindent 4 }}", template, StringComparison.Ordinal);
        Assert.Contains(".Values.monitoring.dashboard.labels", template, StringComparison.Ordinal);
        var values = YamlValues.Load(ChartPaths.Values);
        Assert.Equal("1", values["monitoring"]!["dashboard"]!["labels"]!["grafana_dashboard"]!.GetValue<string>());
    }

    [GeneratedRegex(@"^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$")]
    private static partial Regex LabelValues();
}

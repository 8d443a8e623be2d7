using System.Globalization;
using System.Text.RegularExpressions;
using HierTcn.Inference.V1;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>An inference server with the embedded store (the default mode) exports the state store's own metrics, as a
/// shard does: the same names and labels, with values that follow the writes made through the gRPC API.</summary>
[Collection(ServedModelCollection.Name)]
public sealed partial class EmbeddedStoreMetricsTests(ServedModelFixture model) : IAsyncLifetime
{
    private const string CasOk = "hiertcn_statestore_operations_total{method=\"CompareAndSwap\",status=\"ok\"}";
    private const string GetNotFound = "hiertcn_statestore_operations_total{method=\"Get\",status=\"not_found\"}";
    private const string GetOk = "hiertcn_statestore_operations_total{method=\"Get\",status=\"ok\"}";
    private const string CasLatencyCount = "hiertcn_statestore_operation_duration_seconds_count{method=\"CompareAndSwap\"}";
    private const string StoreLog = "hiertcn_statestore_log_bytes{log=\"store\"}";
    private const string WalLog = "hiertcn_statestore_log_bytes{log=\"wal\"}";
    private TestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await TestServer.StartAsync(model, new Dictionary<string, string?> { ["StateStore:CheckpointInterval"] = "00:00:00.500" });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Metrics_WritesThroughTheApi_StoreMetricsFollowThem()
    {
        var before = await ScrapeAsync();
        const int users = 6;
        for (int u = 0; u < users; u++)
            await _server.Client.ObserveEventsAsync(Batch(Ev(700 + u, model.Data.ItemIds[1], T0, $"em{u}")));
        await _server.Client.ObserveEventsAsync(Batch(Ev(700, model.Data.ItemIds[2], T0 + 1, "em-second")));

        // Disk usage is measured every second and a checkpoint follows writes within 0.5 s: wait for both (bounded).
        var after = await ScrapeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((Value(after, "hiertcn_statestore_disk_bytes") <= 0 || !(Value(after, "hiertcn_statestore_checkpoint_age_seconds") < 10))
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            after = await ScrapeAsync();
        }

        // Each new user: a read that finds nothing, then a compare-and-swap from version 0; user 700's second event
        // reads its state back.
        Assert.True(Delta(before, after, GetNotFound) >= users, Describe(before, after, GetNotFound));
        Assert.True(Delta(before, after, GetOk) >= 1, Describe(before, after, GetOk));
        Assert.True(Delta(before, after, CasOk) >= users + 1, Describe(before, after, CasOk));
        Assert.True(Delta(before, after, CasLatencyCount) >= users + 1, Describe(before, after, CasLatencyCount));
        Assert.True(Value(after, StoreLog) > Value(before, StoreLog), Describe(before, after, StoreLog));
        Assert.True(Value(after, WalLog) > 0, Describe(before, after, WalLog));
        Assert.True(Value(after, "hiertcn_statestore_disk_bytes") > 0);
        Assert.InRange(Value(after, "hiertcn_statestore_checkpoint_age_seconds"), 0, 10);
        Assert.True(Value(after, "hiertcn_statestore_recovery_seconds") >= 0);
        Assert.Equal(0, Value(after, "hiertcn_statestore_writes_refused"));
        Assert.Equal(0, Value(after, "hiertcn_statestore_refusing_to_serve"));
        Assert.Equal(0, Value(after, "hiertcn_statestore_wal_entries_lost"));
        Assert.True(after.ContainsKey("hiertcn_statestore_damaged_records_total"));
    }

    [Fact]
    public async Task Metrics_EveryStateStoreMetricOfTheChartsRulesAndDashboard_IsInTheScrape()
    {
        await _server.Client.ObserveEventsAsync(Batch(Ev(750, model.Data.ItemIds[1], T0, "em-rules")));
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{_server.MetricsPort}/metrics");
        var families = TypeLine().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        string used = File.ReadAllText(RepoPaths.File("charts", "hiertcn", "files", "prometheus-rules.yaml"))
            + File.ReadAllText(RepoPaths.File("charts", "hiertcn", "files", "dashboards", "hiertcn.json"))
            + File.ReadAllText(RepoPaths.File("charts", "hiertcn", "templates", "prometheusrule.yaml"));
        // Metric names, not the recording rules built on them (level:metric:operation).
        var names = StoreMetricName().Matches(used).Select(m => m.Value).Distinct().ToList();
        Assert.True(names.Count >= 6, $"only {names.Count} state store names found: {string.Join(", ", names)}");
        var missing = names.Where(n => !families.Contains(n) && !families.Contains(Regex.Replace(n, "_(bucket|sum|count)$", ""))).ToList();
        Assert.True(missing.Count == 0, $"used by the chart's rules or dashboard but not on the embedded pod's /metrics: {string.Join(", ", missing)}");
        // The labels the rules and panels group by.
        Assert.Contains("hiertcn_statestore_operations_total{method=\"CompareAndSwap\",status=\"ok\"}", text);
        Assert.Contains("hiertcn_statestore_operation_duration_seconds_bucket{method=\"CompareAndSwap\",le=", text);
        Assert.Contains("hiertcn_statestore_log_bytes{log=\"wal\"}", text);
    }

    private async Task<Dictionary<string, double>> ScrapeAsync()
    {
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{_server.MetricsPort}/metrics");
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match m in SampleLine().Matches(text))
            samples[m.Groups[1].Value] = double.Parse(m.Groups[2].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        return samples;
    }

    private static double Value(Dictionary<string, double> samples, string series) => samples.GetValueOrDefault(series, double.NaN);

    /// <summary>The rise of a counter; one not yet exported counts as 0.</summary>
    private static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string series)
        => after.GetValueOrDefault(series) - before.GetValueOrDefault(series);

    private static string Describe(Dictionary<string, double> before, Dictionary<string, double> after, string series)
        => $"{series}: before {Value(before, series)}, after {Value(after, series)}";

    [GeneratedRegex(@"^(hiertcn_statestore_\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"(?<![\w:])hiertcn_statestore_[a-z_]+(?![\w:])")]
    private static partial Regex StoreMetricName();
}

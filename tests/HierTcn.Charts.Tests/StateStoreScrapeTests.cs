using HierTcn.Charts.Tests.Support;
using HierTcn.Formats.State;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Server.Extensions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HierTcn.Charts.Tests;

/// <summary>
/// A real /metrics scrape of a running state store shard (the server's own registrations, in this process, after a
/// Put and a Get through the gRPC client): every state store and process metric a rule or a dashboard panel selects
/// is in it, with the labels the selector uses. (The inference server needs a trained bundle to start; its scrape is
/// checked in tests/HierTcn.Inference.Tests, OperationsTests.)
/// </summary>
public sealed class StateStoreScrapeTests
{
    [Fact]
    public async Task Scrape_RunningShard_HasEveryStateStoreAndProcessMetricTheRulesAndDashboardUse()
    {
        string scrape = await ScrapeShardAsync();
        var samples = ExportedMetrics.ParseExposition(scrape);
        Assert.Contains("hiertcn_statestore_operations_total", samples.Keys);

        var used = MonitoringSelectors()
            .Where(s => s.Selector.Name.StartsWith("hiertcn_statestore_", StringComparison.Ordinal)
                || s.Selector.Name.StartsWith("process_", StringComparison.Ordinal))
            .ToList();
        Assert.True(used.Count >= 10, $"only {used.Count} state store and process selectors found");
        var problems = new List<string>();
        foreach (var (where, selector) in used)
        {
            if (!samples.TryGetValue(selector.Name, out var labels))
            {
                problems.Add($"{where}: {selector.Name} is not in the shard's /metrics");
                continue;
            }
            foreach (string label in selector.Labels.Where(l => !labels.Contains(l) && !ExportedMetrics.TargetLabels.Contains(l)))
                problems.Add($"{where}: {selector.Name} has no label '{label}' in the shard's /metrics");
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems.Distinct()) + "\n--- scrape ---\n" + scrape);
    }

    /// <summary>Every selector of the plain rule file and of the dashboard's queries.</summary>
    private static IEnumerable<(string Where, PromQl.Selector Selector)> MonitoringSelectors()
    {
        foreach (var rule in RuleFiles.Parse(File.ReadAllText(RuleFiles.PlainFile), "prometheus-rules.yaml"))
        {
            foreach (var selector in PromQl.Selectors(rule.Expression))
                yield return (rule.Alert ?? rule.Record!, selector);
        }
        string dashboard = File.ReadAllText(Path.Combine(ChartPaths.Chart, "files", "dashboards", "hiertcn.json"));
        using var json = System.Text.Json.JsonDocument.Parse(dashboard);
        foreach (var panel in json.RootElement.GetProperty("panels").EnumerateArray())
        {
            if (!panel.TryGetProperty("targets", out var targets))
                continue;
            foreach (var target in targets.EnumerateArray())
            {
                foreach (var selector in PromQl.Selectors(target.GetProperty("expr").GetString()!))
                    yield return ($"panel '{panel.GetProperty("title").GetString()}'", selector);
            }
        }
    }

    private static async Task<string> ScrapeShardAsync()
    {
        using var dir = new TempDirectory();
        int metricsPort = FreePort();
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            $"--StateStore:DataDirectory={dir.Path}",
            "--StateStore:IndexBuckets=1024",
            "--StateStore:StorePageSizeBits=16",
            "--StateStore:StoreMemorySizeBits=20",
            "--StateStore:SegmentSizeBits=20",
            "--StateStore:MaxStateBytes=16384",
            $"--StateStoreServer:MetricsPort={metricsPort}",
            "--StateStoreServer:MetricsHostname=127.0.0.1",
        ];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        builder.Logging.ClearProviders();
        builder.AddStateStoreServer();
        await using var app = builder.Build();
        app.MapStateStoreServer();
        await app.StartAsync();
        try
        {
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            await using (var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [address] }))
            {
                var state = new UserState("v1", 7, 8, 4) { LastEventMs = 1_700_000_000_000 };
                Assert.Equal(StoreStatus.Ok, (await store.PutAsync(state)).Status);
                Assert.Equal(StoreStatus.Ok, (await store.GetAsync(new StateKey("v1", 7))).Status);
            }
            using var http = new HttpClient();
            return await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static int FreePort() => HierTcn.Tests.Shared.LoopbackPort.Free();
}

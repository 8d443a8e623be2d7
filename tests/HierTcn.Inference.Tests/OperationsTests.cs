using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using HierTcn.Inference.V1;
using Xunit.Abstractions;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Health, reflection and /metrics (checked by Prometheus's own promtool where it is installed); the Python
/// client is in <see cref="PythonClientTests"/>.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class OperationsTests(ServedModelFixture model, ITestOutputHelper output) : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await TestServer.StartAsync(model, new Dictionary<string, string?> { ["RecommenderServer:EnableReflection"] = "true" });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Health_Started_Serving()
    {
        var health = new Health.HealthClient(_server.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
    }

    [Fact]
    public async Task Reflection_ListServices_IncludesRecommender()
    {
        var reflection = new ServerReflection.ServerReflectionClient(_server.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("hiertcn.inference.v1.Recommender", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }

    [Fact]
    public async Task Metrics_AfterCalls_ExposeLatencyBatchesAndProvider()
    {
        await _server.Client.ObserveEventsAsync(Batch(Ev(40, model.Data.ItemIds[1], T0, "m1")));
        await _server.Client.RecommendAsync(new RecommendRequest { UserId = 40, K = 3, TimestampMs = T0 + 1 });
        var cold = await _server.Client.RecommendAsync(new RecommendRequest { UserId = 987_654_321, K = 3, TimestampMs = T0 + 1 });
        Assert.True(cold.UnknownUser);
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => _server.Client.RecommendAsync(new RecommendRequest { UserId = 40, K = -3 }).ResponseAsync);
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{_server.MetricsPort}/metrics");
        foreach (string expected in new[]
        {
            "hiertcn_inference_call_duration_seconds_bucket{method=\"Recommend\",model_version=\"v1\"",
            "hiertcn_inference_calls_total{method=\"Recommend\",code=\"InvalidArgument\"}",
            "hiertcn_inference_batch_size_bucket{model_version=\"v1\"",
            "hiertcn_inference_onnx_run_seconds_bucket{model_version=\"v1\",role=\"embed_step\"",
            "hiertcn_inference_state_store_seconds_bucket{operation=\"cas\"",
            "hiertcn_inference_queue_depth{model_version=\"v1\"}",
            "hiertcn_inference_model_info{model_version=\"v1\",provider=\"CPUExecutionProvider\",snapshot_version=\"items-1\"} 1",
            "hiertcn_inference_events_total{outcome=\"applied\"}",
            "hiertcn_inference_cold_start_responses_total{method=\"Recommend\",model_version=\"v1\"}",
            "hiertcn_inference_snapshot_created_timestamp_seconds{model_version=\"v1\",snapshot_version=\"items-1\"}",
            "hiertcn_inference_online_lists_total{model_version=\"v1\"}",
        })
        {
            Assert.Contains(expected, text);
        }
    }

    [PromtoolFact]
    public async Task Metrics_AfterCalls_PassPromtoolCheckMetrics()
    {
        await _server.Client.ObserveEventsAsync(Batch(Ev(40, model.Data.ItemIds[1], T0, "m1")));
        await _server.Client.RecommendAsync(new RecommendRequest { UserId = 40, K = 3, TimestampMs = T0 + 1 });
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{_server.MetricsPort}/metrics");
        Assert.Contains("hiertcn_inference_calls_total", text);
        var (code, stdout, stderr) = await ProcessRunner.RunAsync(RepoPaths.Tool("promtool")!, ["check", "metrics"], text);
        output.WriteLine($"promtool check metrics: exit {code} {stdout}{stderr}");
        Assert.True(code == 0, $"promtool rejected /metrics: {stdout}{stderr}");
    }

    [Fact]
    public async Task Metrics_EveryInferenceMetricOfTheChartsRulesAndDashboard_IsInTheScrape()
    {
        await _server.Client.RecommendAsync(new RecommendRequest { UserId = 42, K = 3, TimestampMs = T0 + 1 });
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{_server.MetricsPort}/metrics");
        var families = System.Text.RegularExpressions.Regex.Matches(text, @"^# TYPE (\S+) ", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        string used = File.ReadAllText(RepoPaths.File("charts", "hiertcn", "files", "prometheus-rules.yaml"))
            + File.ReadAllText(RepoPaths.File("charts", "hiertcn", "files", "dashboards", "hiertcn.json"))
            + File.ReadAllText(RepoPaths.File("charts", "hiertcn", "templates", "prometheusrule.yaml"));
        // Metric names, not the recording rules built on them (level:metric:operation).
        var names = System.Text.RegularExpressions.Regex.Matches(used, @"(?<![\w:])(hiertcn_inference_[a-z_]+|process_[a-z_]+)(?![\w:])")
            .Select(m => m.Value).Distinct().ToList();
        Assert.True(names.Count >= 10, $"only {names.Count} names found");
        var missing = names.Where(n => !families.Contains(n) && !families.Contains(System.Text.RegularExpressions.Regex.Replace(n, "_(bucket|sum|count)$", "")))
            .ToList();
        Assert.True(missing.Count == 0, $"used by the chart's rules or dashboard but not on /metrics: {string.Join(", ", missing)}");
    }
}

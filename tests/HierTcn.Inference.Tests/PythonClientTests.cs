using System.Globalization;
using System.Text.Json;
using HierTcn.Inference.V1;
using Xunit.Abstractions;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>clients/python, pip-installed into a fresh virtual environment, against the real server: the README's
/// three-line example, the wrapper's calls, and the package's own tests (retry and deadline rules).</summary>
[Collection(ServedModelCollection.Name)]
public sealed class PythonClientTests(ServedModelFixture model, PythonClientEnvironment python, ITestOutputHelper output)
    : IClassFixture<PythonClientEnvironment>, IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(model);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Target => _server.Address.Replace("http://", "", StringComparison.Ordinal);

    [PythonGrpcFact]
    public async Task ReadmeExample_FreshVirtualEnvironment_PrintsTheServersRecommendations()
    {
        // clients/python/README.md's example, with this server's address and a deadline for a loaded test machine.
        string script = $"""
            from hiertcn_client import RecommenderClient
            with RecommenderClient("{Target}", timeout_s=60) as client:
                for item in client.recommend(user_id=42, k=5).items: print(item.item_id, item.score)
            """;
        var (stdout, _) = await RunPythonAsync(["-c", script]);
        var printed = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => long.Parse(l.Split(' ')[0], CultureInfo.InvariantCulture)).ToList();
        var dotnet = await _server.Client.RecommendAsync(new RecommendRequest { UserId = 42, K = 5 });
        Assert.Equal(5, printed.Count);
        Assert.Equal(dotnet.Items.Select(i => i.ItemId), printed);
    }

    [PythonGrpcFact]
    public async Task Client_ObserveRecommendEndSession_AgreesWithTheDotnetClient()
    {
        var items = model.Data.ItemIds.ToArray().Take(3).ToArray();
        string script = $$"""
            import json, grpc
            from hiertcn_client import Event, RecommenderClient
            with RecommenderClient("{{Target}}", timeout_s=30) as client:
                events = [Event(user_id=41, item_id=item, timestamp_ms={{T0}} + 60_000 * n, event_id=f"py-41-{n}")
                          for n, item in enumerate([{{string.Join(", ", items)}}])]
                observed = client.observe(events)
                again = client.observe(events)
                # The applied events are counted already; a new click is counted once.
                fed = client.count_clicks(events + [Event(user_id=44, item_id=events[0].item_id, timestamp_ms={{T0}}, event_id="py-44-0")])
                fed_again = client.count_clicks(events[:1])
                ranked = client.recommend(41, k=4, timestamp_ms={{T0 + 3 * 60_000}}, request_id="python")
                try:
                    client.recommend(41, k=5000)
                    bad_k = "OK"
                except grpc.RpcError as e:
                    bad_k = e.code().name
                ended = client.end_session(41)
            print(json.dumps({"applied": observed.applied, "duplicates": again.duplicates, "model_version": ranked.model_version,
                              "request_id": ranked.request_id, "items": [i.item_id for i in ranked.items], "k_5000": bad_k,
                              "closed": ended.closed,
                              "fed": [fed.counted, fed.duplicates, fed.too_old, fed_again.duplicates]}))
            """;
        using var json = JsonDocument.Parse((await RunPythonAsync(["-c", script])).Stdout);
        var root = json.RootElement;
        Assert.Equal(3, root.GetProperty("applied").GetInt32());
        Assert.Equal(3, root.GetProperty("duplicates").GetInt32());
        Assert.Equal("v1", root.GetProperty("model_version").GetString());
        Assert.Equal("python", root.GetProperty("request_id").GetString());
        Assert.Equal("INVALID_ARGUMENT", root.GetProperty("k_5000").GetString());
        Assert.True(root.GetProperty("closed").GetBoolean());
        Assert.Equal([1, 3, 0, 1], root.GetProperty("fed").EnumerateArray().Select(v => v.GetInt32()));
        // Before the session closed, the same request from .NET ranked the same items: check it on a twin user.
        await _server.Client.ObserveEventsAsync(Batch([.. items.Select((item, n) => Ev(43, item, T0 + 60_000 * n, $"cs-43-{n}"))]));
        var dotnet = await _server.Client.RecommendAsync(new RecommendRequest { UserId = 43, K = 4, TimestampMs = T0 + 3 * 60_000 });
        Assert.Equal(dotnet.Items.Select(i => i.ItemId), root.GetProperty("items").EnumerateArray().Select(i => i.GetInt64()));
    }

    [PythonGrpcFact]
    public async Task PackageTests_ScriptedServer_RetryAndDeadlineRulesHold()
    {
        // unittest reports on stderr; a zero exit means every test passed.
        var (_, stderr) = await RunPythonAsync(["-m", "unittest", "discover", "-s", Path.Combine(python.PackageDirectory, "tests"), "-v"]);
        Assert.Matches(@"Ran ([1-9]\d*) tests", stderr);
    }

    private async Task<(string Stdout, string Stderr)> RunPythonAsync(string[] args)
    {
        string interpreter = await python.PythonAsync();
        var (code, stdout, stderr) = await ProcessRunner.RunAsync(interpreter, args, workingDirectory: Path.GetTempPath());
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, $"python exited {code}: {stderr}");
        return (stdout, stderr);
    }
}

using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using HierTcn.Inference.V1;
using HierTcn.Tests.Shared;
using static HierTcn.Inference.Tests.ScriptedEngine;

namespace HierTcn.Inference.Tests;

/// <summary>The A/B experiment followed through the Kubernetes API (RecommenderServer:ExperimentConfigMap) against
/// <see cref="FakeKubernetesApi"/>, a loopback TLS server speaking the documented list and watch protocol (not a real
/// API server) with a certificate from a test authority whose PEM is the service account's ca.crt: a MODIFIED event
/// changes routing at once, with the mounted file unchanged and read only hourly; a bad object is refused like a bad
/// file; a dropped watch resumes from its resourceVersion, a bookmark's included; a 410 Gone (event or status) or an
/// ERROR event lists again; a deleted ConfigMap hands the routing to the file until it is created again; a rotated
/// token is read for the next request; the API's arms come back when the watch does after an outage; an unreachable
/// API, or one whose certificate another authority issued, leaves the file in charge.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class ExperimentConfigMapWatchTests(ServedModelFixture model) : IDisposable
{
    private const string ConfigMapName = "recs-hiertcn-inference-experiment";
    private const string Half = """{"experimentSalt": "api-salt", "models": [{"version": "v1", "weight": 50}, {"version": "v2", "weight": 50}]}""";
    private const string AllV1 = """{"experimentSalt": "api-salt", "models": [{"version": "v1", "weight": 1}, {"version": "v2", "weight": 0}]}""";
    private const string AllV2 = """{"experimentSalt": "api-salt", "models": [{"version": "v1", "weight": 0}, {"version": "v2", "weight": 1}]}""";

    private static readonly long[] Users = [.. Enumerable.Range(0, 200).Select(u => (long)u)];

    private readonly string _dir = Directory.CreateTempSubdirectory("hiertcn-experiment-api-").FullName;
    private readonly TestPki _pki = new("kubernetes-ca");
    private X509Certificate2? _apiCertificate;

    public void Dispose()
    {
        _apiCertificate?.Dispose();
        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string File => Path.Combine(_dir, "experiment.json");

    private string Account => Path.Combine(_dir, "serviceaccount");

    /// <summary>Starts the API with the ConfigMap holding <paramref name="data"/>, its TLS certificate issued by the test
    /// authority for 127.0.0.1 (as a cluster's API server certificate names the kubernetes Service's address).</summary>
    private Task<FakeKubernetesApi> StartApiAsync(string data)
    {
        var (crt, key) = _pki.Issue("kubernetes.default.svc");
        _apiCertificate = X509Certificate2.CreateFromPemFile(crt, key);
        return FakeKubernetesApi.StartAsync(ConfigMapName, "experiment.json", data, _apiCertificate);
    }

    /// <summary>The server's settings, its service-account directory written as the kubelet mounts it (token,
    /// namespace, and ca.crt: the API's authority unless <paramref name="caFile"/> names another).</summary>
    private Dictionary<string, string?> Settings(string apiUrl, TimeSpan filePoll, string? caFile = null)
    {
        string account = Directory.CreateDirectory(Account).FullName;
        TestPki.Write(Path.Combine(account, "token"), FakeKubernetesApi.Token + "\n");
        System.IO.File.WriteAllText(Path.Combine(account, "namespace"), FakeKubernetesApi.Namespace);
        System.IO.File.Copy(caFile ?? _pki.CaFile, Path.Combine(account, "ca.crt"), overwrite: true);
        return new()
        {
            ["Recommender:Models:0:Version"] = null,
            ["Recommender:Models:0:Weight"] = null,
            ["RecommenderServer:ExperimentFile"] = File,
            ["RecommenderServer:ExperimentFilePollInterval"] = filePoll.ToString(),
            ["RecommenderServer:ExperimentConfigMap"] = ConfigMapName,
            ["RecommenderServer:KubernetesApiUrl"] = apiUrl,
            ["RecommenderServer:ServiceAccountDirectory"] = account,
        };
    }

    private void WriteFile(string json)
    {
        string next = File + ".next";
        System.IO.File.WriteAllText(next, json);
        System.IO.File.Move(next, File, overwrite: true);
    }

    private static bool AllAssigned(TestServer server, string version) => Users.All(u => server.Engine.AssignedVersion(u) == version);

    private static async Task<double> MetricAsync(TestServer server, string name)
    {
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits for <paramref name="condition"/> at most <paramref name="limit"/> after <paramref name="since"/>. A
    /// bound for a stuck watch, not a speed assertion: the file is read hourly in these tests, so a change that arrives
    /// at all arrived through the API.</summary>
    private static async Task Within(Stopwatch since, TimeSpan limit, Func<bool> condition, string what)
    {
        while (!condition())
        {
            Assert.True(since.Elapsed < limit, $"not reached within {limit.TotalSeconds} s: {what}");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task ConfigMapWatch_ModifiedBadDroppedExpired_RoutingFollowsTheApi()
    {
        WriteFile(Half);
        await using var api = await StartApiAsync(Half);
        // The file is read once at start and then hourly: only the API can bring a change in this test.
        await using var server = await TestServer.StartAsync(model, Settings(api.Url, TimeSpan.FromHours(1)));
        await api.WaitForWatchesAsync(1);
        Assert.Equal((false, (string?)null), api.Requests[0]);
        Assert.Equal((true, "100"), api.Requests[1]);
        Assert.Equal(1, await MetricAsync(server, "hiertcn_inference_experiment_api_watch_up"));

        // A MODIFIED event moves every user (long before the hourly file read could).
        var clock = Stopwatch.StartNew();
        api.Modify(AllV2);
        await Within(clock, TimeSpan.FromSeconds(15), () => AllAssigned(server, "v2"), "all users on v2 after MODIFIED");
        Assert.Equal("v2", (await server.Client.RecommendAsync(new RecommendRequest { UserId = 7, K = 1 })).ModelVersion);

        // A bad object is refused, counted, and the arms in use keep serving.
        foreach (string bad in new[]
        {
            """{"experimentSalt": "api-salt", "models": [{"version": "v1", "weight": -1}]}""",
            """{"experimentSalt": "api-salt", "models": [{"version": "v1", "weight": 1}, {"version": "v9", "weight": 1}]}""",
        })
        {
            double before = await MetricAsync(server, "hiertcn_inference_experiment_file_rejections_total");
            api.Modify(bad);
            await WaitUntil(() => MetricAsync(server, "hiertcn_inference_experiment_file_rejections_total").GetAwaiter().GetResult() > before,
                "the bad ConfigMap counted as refused");
            Assert.True(AllAssigned(server, "v2"), "the previous arms keep serving");
            Assert.Equal(["v1", "v2"], server.Engine.Versions.Order());
        }

        // A dropped connection is resumed from the last resourceVersion seen, without listing again.
        int lists = api.Requests.Count(r => !r.Watch);
        string seen = api.Version;
        api.DropWatch();
        await api.WaitForWatchesAsync(2);
        Assert.Equal((true, seen), api.Requests[^1]);
        clock.Restart();
        api.Modify(AllV1);
        await Within(clock, TimeSpan.FromSeconds(15), () => AllAssigned(server, "v1"), "all users on v1 after the reconnect");
        Assert.Equal(lists, api.Requests.Count(r => !r.Watch));

        // A 410 Gone lists again, which finds a change no event announced, then watches from the list's version.
        api.Modify(Half, silently: true);
        api.ExpireWatch();
        await api.WaitForWatchesAsync(3);
        Assert.Equal(lists + 1, api.Requests.Count(r => !r.Watch));
        Assert.Equal((true, api.Version), api.Requests[^1]);
        await WaitUntil(() => Users.Count(u => server.Engine.AssignedVersion(u) == "v2") is > 60 and < 140, "the listed 50/50 split applied");
        Assert.Equal(1, await MetricAsync(server, "hiertcn_inference_experiment_api_watch_up"));
    }

    /// <summary>Waits until the server's gauge hiertcn_inference_experiment_api_watch_up reads <paramref name="up"/>.</summary>
    private static async Task WatchUpAsync(TestServer server, bool up, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (await MetricAsync(server, "hiertcn_inference_experiment_api_watch_up") != (up ? 1 : 0))
        {
            Assert.True(DateTime.UtcNow < until, $"api_watch_up not {(up ? 1 : 0)} within 20 s: {what}");
            await Task.Delay(10);
        }
    }

    private static int Lists(FakeKubernetesApi api) => api.Requests.Count(r => !r.Watch);

    [Fact]
    public async Task ConfigMapWatch_BookmarkErrorGoneDeleted_ResumesOrListsAndHandsOverToTheFile()
    {
        WriteFile(Half);
        await using var api = await StartApiAsync(Half);
        await using var server = await TestServer.StartAsync(model, Settings(api.Url, TimeSpan.FromMilliseconds(50)));
        await api.WaitForWatchesAsync(1);

        // A watch the server ends (its timeoutSeconds) resumes from the last bookmark, without listing.
        api.Bookmark(changesElsewhere: 5);
        api.EndWatch();
        await api.WaitForWatchesAsync(2);
        Assert.Equal((true, "105"), api.Requests[^1]);
        Assert.Equal(1, Lists(api));

        // An ERROR event other than 410 lists again (the version is not trusted), then watches from the list's version.
        api.FailWatch();
        await api.WaitForWatchesAsync(3);
        Assert.Equal(2, Lists(api));
        Assert.Equal((true, api.Version), api.Requests[^1]);

        // A watch answered with the HTTP status 410 Gone lists again.
        api.ExpireWithStatus();
        await api.WaitForWatchesAsync(5);
        Assert.Equal(3, Lists(api));
        Assert.Equal(((true, "105"), (false, (string?)null), (true, api.Version)), (api.Requests[^3], api.Requests[^2], api.Requests[^1]));
        await WatchUpAsync(server, up: true, "after the 410 and the new list");

        // Deleted: the arms in use keep serving and the file is in charge; created again: the API is.
        api.Delete();
        await WatchUpAsync(server, up: false, "after DELETED");
        Assert.Equal(2, server.Engine.Versions.Count);
        WriteFile(AllV2);
        await WaitUntil(() => AllAssigned(server, "v2"), "the file applied while the ConfigMap is deleted");
        api.Create(AllV1);
        await WaitUntil(() => AllAssigned(server, "v1"), "the ConfigMap created again (ADDED) applied");
        await WatchUpAsync(server, up: true, "after ADDED");
    }

    [Fact]
    public async Task ConfigMapWatch_OutageWhileTheFileChanges_ResumedWatchPutsTheApiArmsBack()
    {
        WriteFile(Half);
        await using var api = await StartApiAsync(AllV2);
        await using var server = await TestServer.StartAsync(model, Settings(api.Url, TimeSpan.FromMilliseconds(50)));
        await api.WaitForWatchesAsync(1);
        await WaitUntil(() => AllAssigned(server, "v2"), "the listed ConfigMap applied over the file");

        // The API goes away: the file is in charge and its change is applied.
        api.SetUnavailable(true);
        await WatchUpAsync(server, up: false, "while the API answers 503");
        WriteFile(AllV1);
        await WaitUntil(() => AllAssigned(server, "v1"), "the file change applied during the outage");

        // The watch comes back from its version (no list, no event): the ConfigMap it holds is the source again.
        api.SetUnavailable(false);
        await api.WaitForWatchesAsync(2);
        await WaitUntil(() => AllAssigned(server, "v2"), "the API's arms back once the watch resumed");
        await WatchUpAsync(server, up: true, "after the watch resumed");
        Assert.Equal(1, Lists(api));
    }

    [Fact]
    public async Task ConfigMapWatch_TokenRotated_NextRequestReadsTheNewToken()
    {
        WriteFile(Half);
        await using var api = await StartApiAsync(Half);
        await using var server = await TestServer.StartAsync(model, Settings(api.Url, TimeSpan.FromHours(1)));
        await api.WaitForWatchesAsync(1);
        Assert.Equal(0, api.Unauthorized);

        // The API accepts only the new token before the kubelet has written it: the reconnects are refused...
        api.AcceptToken("rotated-token");
        api.DropWatch();
        await WaitUntil(() => api.Unauthorized > 0, "a reconnect with the old token refused");
        await WatchUpAsync(server, up: false, "while the token is refused");

        // ...until the file holds it (replaced atomically, as the kubelet does); the watch resumes without listing.
        TestPki.Write(Path.Combine(Account, "token"), "rotated-token\n");
        await api.WaitForWatchesAsync(2);
        Assert.Equal(1, Lists(api));
        var clock = Stopwatch.StartNew();
        api.Modify(AllV2);
        await Within(clock, TimeSpan.FromSeconds(15), () => AllAssigned(server, "v2"), "all users on v2 after the rotation");
        await WatchUpAsync(server, up: true, "with the rotated token");
    }

    [Fact]
    public async Task ConfigMapWatch_CertificateOfAnotherAuthority_RefusedAndTheFileFollowed()
    {
        WriteFile(Half);
        await using var api = await StartApiAsync(AllV2);
        using var other = new TestPki("another-ca");
        await using var server = await TestServer.StartAsync(model, Settings(api.Url, TimeSpan.FromMilliseconds(50), other.CaFile));
        // The watcher keeps connecting, and no request gets past the handshake: ca.crt is the only authority trusted.
        await WaitUntil(() => api.Connections >= 2, "two connection attempts");
        Assert.Empty(api.Requests);
        Assert.Equal(0, api.Unauthorized);
        Assert.Equal(0, await MetricAsync(server, "hiertcn_inference_experiment_api_watch_up"));
        Assert.False(AllAssigned(server, "v2"), "the API's ConfigMap is never applied");
        WriteFile(AllV1);
        await WaitUntil(() => AllAssigned(server, "v1"), "the file change applied");
    }

    /// <summary>The server as a process of its own (the metric registry is per process): with no ConfigMap configured
    /// it exports no hiertcn_inference_experiment_api_watch_up series, so HierTcnExperimentApiWatchDown cannot fire
    /// for pods that only have the file; with one configured and the API unreachable it exports 0.</summary>
    [Fact]
    public async Task ServerProcess_ConfigMapConfiguredOrNot_WatchGaugeOnlyWhereConfigured()
    {
        WriteFile(Half);
        var settings = Settings("http://127.0.0.1:1", TimeSpan.FromSeconds(2));
        Assert.Null(await WatchGaugeOfProcessAsync(withConfigMap: false, settings));
        Assert.Equal("0", await WatchGaugeOfProcessAsync(withConfigMap: true, settings));
    }

    /// <summary>Starts the server program on the experiment file, scrapes its metrics once it serves them, stops it,
    /// and returns the value of the watch gauge, or null without the series.</summary>
    private async Task<string?> WatchGaugeOfProcessAsync(bool withConfigMap, Dictionary<string, string?> settings)
    {
        string store = Directory.CreateTempSubdirectory("hiertcn-inference-watch-gauge-").FullName;
        int metricsPort = TestServer.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = store };
        var args = new List<string>
        {
            Path.Combine(AppContext.BaseDirectory, "HierTcn.Inference.Server.dll"), "--Recommender:BundlesDirectory=" + model.BundlesDirectory,
            "--Recommender:SnapshotsDirectory=" + model.SnapshotsDirectory, "--StateStore:DataDirectory=" + store,
            "--StateStore:IndexBuckets=1024", "--StateStore:StoreMemorySizeBits=23", "--StateStore:SegmentSizeBits=22",
            "--RecommenderServer:MetricsHostname=127.0.0.1", $"--RecommenderServer:MetricsPort={metricsPort}",
            "--RecommenderServer:ExperimentFile=" + File, "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0", "--Logging:LogLevel:Default=None",
        };
        if (withConfigMap)
        {
            foreach (string key in new[] { "ExperimentConfigMap", "KubernetesApiUrl", "ServiceAccountDirectory" })
                args.Add($"--RecommenderServer:{key}={settings["RecommenderServer:" + key]}");
        }
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var until = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                if (process.HasExited)
                    Assert.Fail($"the server exited ({process.ExitCode}): {await stderr}{await stdout}");
                try
                {
                    string text = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
                    // The experiment's gauge is set once the arms are applied at start, after which the watch starts.
                    if (text.Contains("hiertcn_inference_experiment_applied_timestamp_seconds{", StringComparison.Ordinal)
                        && (!withConfigMap || text.Contains("\nhiertcn_inference_experiment_api_watch_up ", StringComparison.Ordinal)))
                    {
                        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("hiertcn_inference_experiment_api_watch_up ", StringComparison.Ordinal));
                        return line?.Split(' ')[1];
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                Assert.True(DateTime.UtcNow < until, "the server's metrics did not show the applied experiment within 60 s");
                await Task.Delay(100);
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public void Validate_ConfigMapWithoutFile_Refused()
    {
        var errors = new Server.RecommenderServerOptions { ExperimentConfigMap = ConfigMapName }.Validate();
        Assert.Contains(errors, e => e.Contains("ExperimentConfigMap is set but ExperimentFile is empty", StringComparison.Ordinal));
        Assert.Empty(new Server.RecommenderServerOptions { ExperimentConfigMap = ConfigMapName, ExperimentFile = File }.Validate());
    }

    [Fact]
    public async Task ConfigMapWatch_ApiUnreachable_FileStillFollowed()
    {
        WriteFile(Half);
        // Port 1 (tcpmux, unused on any test machine): every connection is refused and retried while the file is followed.
        await using var server = await TestServer.StartAsync(model, Settings("http://127.0.0.1:1", TimeSpan.FromMilliseconds(50)));
        WriteFile(AllV2);
        await WaitUntil(() => AllAssigned(server, "v2"), "the file change applied while the API is unreachable");
        Assert.Equal(0, await MetricAsync(server, "hiertcn_inference_experiment_api_watch_up"));
    }
}

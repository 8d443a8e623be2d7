using System.Diagnostics;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using HierTcn.Fleet.Tests.Support;
using HierTcn.Inference.V1;
using HierTcn.Security;

namespace HierTcn.Fleet.Tests;

/// <summary>charts/local-fleet/run.sh, the one command that starts the local fleet by hand: it serves, behaves as one
/// service, and stops everything it started when it is told to (SIGTERM; the end of --duration takes the same exit
/// path); with --tls the same over TLS with the certificates and token it makes. Uses the model of
/// <see cref="LocalFleet"/> (its own fleet stays idle meanwhile).</summary>
[Collection(LocalFleetCollection.Name)]
public sealed class LocalFleetScriptTests(LocalFleet fleet) : IDisposable
{
    // A bound only: the test stops the script with SIGTERM once it has checked the fleet.
    private const int DurationSeconds = 300;
    private readonly string _work = Directory.CreateTempSubdirectory("hiertcn-fleet-script-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleaning.
        }
    }

    [Fact]
    public Task RunScript_ServesAsOneFleetThenStopsEverythingOnSigterm() => RunScriptAsync(tls: false);

    [OpenSslFact]
    public Task RunScriptWithTls_ServesOverTlsToTokenHoldersOnlyThenStopsEverythingOnSigterm() => RunScriptAsync(tls: true);

    private async Task RunScriptAsync(bool tls)
    {
        await fleet.EnsureRunningAsync();
        int[] ports = [FleetProcess.FreePort(), FleetProcess.FreePort(), FleetProcess.FreePort(), FleetProcess.FreePort()];
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
                 {
                     Path.Combine(RepositoryRoot(), "charts", "local-fleet", "run.sh"),
                     "--bundles", fleet.Model.BundlesDirectory, "--snapshots", fleet.Model.SnapshotsDirectory,
                     "--models", "v1=90,v2=10", "--salt", LocalFleet.Salt, "--ports", string.Join(',', ports),
                     "--duration", DurationSeconds.ToString(), "--work", _work, "--configuration", baseDir.Parent!.Name, "--no-build",
                 })
            info.ArgumentList.Add(argument);
        if (tls)
            info.ArgumentList.Add("--tls");
        using var script = Process.Start(info)!;
        var stderr = script.StandardError.ReadToEndAsync();
        _ = script.StandardOutput.ReadToEndAsync();
        try
        {
            string envFile = Path.Combine(_work, "fleet.env");
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!File.Exists(envFile))
            {
                // stderr is complete only once the script has exited: read it only then.
                if (script.HasExited)
                    Assert.Fail($"run.sh exited with {script.ExitCode} before serving:\n{await stderr}");
                Assert.True(DateTime.UtcNow < deadline, "run.sh did not report a serving fleet within 120 s");
                await Task.Delay(100);
            }
            var env = File.ReadAllLines(envFile).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1].Trim('"'));
            int[] pids = [.. env["PIDS"].Split(' ').Select(int.Parse)];
            Assert.Equal(4, pids.Length);

            if (!tls)
            {
                // With TLS the shards take only inference's client certificate; the plain-text run checks ownership.
                await AssertEachShardOwnsItsKeysAsync(env["SHARD_0"], env["SHARD_1"]);
            }

            var security = tls ? new ClientSecurityOptions { CaFile = env["CA_FILE"], TokenFile = env["TOKEN_FILE"] } : null;
            Assert.Equal(tls ? "https" : "http", new Uri(env["SHARD_0"]).Scheme);
            using var channelA = Channel(env["INFERENCE_A"], security);
            using var channelB = Channel(env["INFERENCE_B"], security);
            await WaitServingAsync(channelA);
            await WaitServingAsync(channelB);
            var a = new Recommender.RecommenderClient(channelA);
            var b = new Recommender.RecommenderClient(channelB);
            const long user = 34_000_001;
            long t = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds();
            var events = new ObserveEventsRequest();
            for (int n = 0; n < 4; n++)
                events.Events.Add(new Event { UserId = user, ItemId = fleet.Model.ItemIds[n * 3], TimestampMs = t + n * 1000, EventId = $"script:{n}" });
            var observed = await Calls.RetryAsync(() => a.ObserveEventsAsync(events, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
            Assert.Equal(4, observed.Applied + observed.Duplicates);
            // A degraded answer (the store read missed its share of the deadline on a loaded machine) ranks from the
            // start state by design; ask again until the store answers, then B must see A's write.
            RecommendResponse reply;
            int degraded = 0;
            do
            {
                reply = await Calls.RetryAsync(() => b.RecommendAsync(new RecommendRequest { UserId = user, K = 5, TimestampMs = t + 60_000 },
                    deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
            }
            while (reply.Degraded && ++degraded < 20);
            Assert.False(reply.Degraded, "every Recommend on B was degraded: the store did not answer");
            Assert.False(reply.UnknownUser, "inference B does not see what A wrote: the script's processes do not share the store");
            Assert.Equal(5, reply.Items.Count);
            if (tls)
            {
                // Trusting the fleet's CA is not enough: inference wants the token.
                using var noToken = Channel(env["INFERENCE_A"], new ClientSecurityOptions { CaFile = env["CA_FILE"] });
                var refused = await Assert.ThrowsAsync<RpcException>(async () =>
                    await new Recommender.RecommenderClient(noToken).RecommendAsync(new RecommendRequest { UserId = user, K = 5 }, deadline: DateTime.UtcNow.AddSeconds(30)));
                Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            }

            // Same salt and weights as the fixture's fleet: the same users land on the same versions.
            var fixtureClient = fleet.Client(1);
            foreach (long probe in Enumerable.Range(0, 50).Select(i => 60_000_000L + i * 104_729L))
            {
                var request = new RecommendRequest { UserId = probe, K = 1 };
                var fromScript = await Calls.RetryAsync(() => b.RecommendAsync(request, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
                var fromFixture = await Calls.RetryAsync(() => fixtureClient.RecommendAsync(request, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
                Assert.Equal(fromFixture.ModelVersion, fromScript.ModelVersion);
            }

            // bash's own kill: no procps needed on a minimal machine.
            using (var term = Process.Start("bash", ["-c", $"kill -TERM {script.Id}"]))
                term.WaitForExit();
            Assert.True(script.WaitForExit(TimeSpan.FromSeconds(30)), "run.sh did not stop within 30 s of SIGTERM");
            string log = await stderr;
            Assert.True(script.ExitCode == 0, $"run.sh exited with {script.ExitCode}:\n{log}");
            Assert.Contains("local-fleet: stopped", log);
            foreach (int pid in pids)
                Assert.False(IsRunning(pid), $"process {pid} outlived run.sh");
            foreach (int port in ports)
                Assert.False(Listening(port), $"127.0.0.1:{port} still accepts connections after run.sh stopped");
        }
        finally
        {
            if (!script.HasExited)
                script.Kill(entireProcessTree: true);
        }
    }

    private static GrpcChannel Channel(string address, ClientSecurityOptions? security) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = security is null ? null : new ClientHandler(security) });

    /// <summary>The script tells each shard its index and the shard count: of the two, exactly one takes a key and the
    /// other refuses it (FAILED_PRECONDITION) as another shard's.</summary>
    private static async Task AssertEachShardOwnsItsKeysAsync(params string[] shards)
    {
        foreach (long user in new long[] { 1, 2, 3, 4, 5, 6, 7, 8 })
        {
            var codes = new List<StatusCode>();
            foreach (string address in shards)
            {
                using var channel = GrpcChannel.ForAddress(address);
                var client = new HierTcn.StateStore.Protocol.StateStore.StateStoreClient(channel);
                var request = new HierTcn.StateStore.Protocol.GetRequest { Key = new HierTcn.StateStore.Protocol.Key { ModelVersion = "v1", UserId = user } };
                try
                {
                    await Calls.RetryAsync(() => client.GetAsync(request, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
                    codes.Add(StatusCode.OK);
                }
                catch (RpcException ex)
                {
                    codes.Add(ex.StatusCode);
                }
            }
            Assert.Equal([StatusCode.OK, StatusCode.FailedPrecondition], codes.Order());
        }
    }

    private static async Task WaitServingAsync(GrpcChannel channel)
    {
        var health = new Health.HealthClient(channel);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                if ((await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2))).Status == HealthCheckResponse.Types.ServingStatus.Serving)
                    return;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, "an inference process of run.sh was not serving within 90 s");
            await Task.Delay(100);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HierTcn.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("no HierTcn.sln above the test assembly");
    }
}

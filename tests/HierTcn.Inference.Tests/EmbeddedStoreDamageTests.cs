using System.Globalization;
using Grpc.Core;
using Grpc.Health.V1;
using HierTcn.Inference.V1;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>The embedded store is damage-checked as a shard is (issue 13): files damaged beyond what recovery bridges
/// without loss leave the server up and refusing (health NOT_SERVING, events UNAVAILABLE naming the repair command,
/// Recommend degraded, <c>hiertcn_statestore_refusing_to_serve</c> 1) until the server's own repair command runs, and a
/// write-ahead log that fails a write makes health NOT_SERVING.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class EmbeddedStoreDamageTests(ServedModelFixture model)
{
    [Fact]
    public async Task Start_EmbeddedStoreBeyondRecovery_StaysUpRefusingUntilRepaired()
    {
        string store = Directory.CreateTempSubdirectory("hiertcn-inference-refusing-").FullName;
        // Small WAL segments and frequent checkpoints, so the WAL's first segment is truncated away soon.
        string[] storeSettings = ["StorePageSizeBits=16", "StoreMemorySizeBits=20", "SegmentSizeBits=16", "MaxStateBytes=16384", "IndexBuckets=1024"];
        var settings = storeSettings.Select(s => s.Split('=')).ToDictionary(p => "StateStore:" + p[0], p => (string?)p[1]);
        settings["StateStore:DataDirectory"] = store;
        settings["StateStore:CheckpointInterval"] = "00:00:00.200";
        try
        {
            long lastUser = 0;
            await using (var server = await TestServer.StartAsync(model, settings))
            {
                // Bounded: 120 s or 20,000 users, far more than the few hundred writes it takes.
                var deadline = DateTime.UtcNow.AddSeconds(120);
                while (!FirstWalSegmentTruncated(store) && lastUser < 20_000 && DateTime.UtcNow < deadline)
                {
                    var batch = new ObserveEventsRequest();
                    for (int i = 0; i < 20; i++)
                    {
                        lastUser++;
                        batch.Events.Add(Ev(lastUser, model.Data.ItemIds[(int)(lastUser % ServedModelFixture.ItemCount)], T0, $"refusing:{lastUser}"));
                    }
                    Assert.Equal(20, (await server.Client.ObserveEventsAsync(batch)).Applied);
                    await Task.Delay(20);
                }
                Assert.True(FirstWalSegmentTruncated(store), $"the test needs the WAL's first segment truncated away ({lastUser} users written)");
            }
            // No checkpoint is usable (the store log they need is gone) and the WAL no longer holds every write: opening
            // would silently drop every state only the store log held.
            var storeLog = Directory.GetFiles(Path.Combine(store, "hlog"));
            Assert.NotEmpty(storeLog);
            foreach (var file in storeLog)
                File.WriteAllBytes(file, []);

            await using (var server = await TestServer.StartAsync(model, settings))
            {
                var health = await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest());
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, health.Status);
                var refused = await Assert.ThrowsAsync<RpcException>(async () =>
                    await server.Client.ObserveEventsAsync(Batch(Ev(lastUser, model.Data.ItemIds[1], T0 + 1000, "refusing:after"))));
                Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
                Assert.Contains("refuses to serve", refused.Status.Detail);
                Assert.Contains($"repair-state-store --data {store}", refused.Status.Detail);
                var recommended = await server.Client.RecommendAsync(new RecommendRequest { UserId = lastUser, K = 3 });
                Assert.True(recommended.Degraded);
                Assert.Equal(1, await ScrapeAsync(server.MetricsPort, "hiertcn_statestore_refusing_to_serve"));
                Assert.All(storeLog, file => Assert.Equal(0, new FileInfo(file).Length));
            }

            var (code, stdout, stderr) = await ProcessRunner.RunAsync("dotnet",
                [Path.Combine(AppContext.BaseDirectory, "HierTcn.Inference.Server.dll"), "repair-state-store", "--data", store, .. storeSettings.Select(s => "--StateStore:" + s)]);
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("repaired", stdout);
            Assert.Single(Directory.EnumerateDirectories(store, "damaged-*"));

            await using (var server = await TestServer.StartAsync(model, settings))
            {
                var health = await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest());
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
                Assert.Equal(0, await ScrapeAsync(server.MetricsPort, "hiertcn_statestore_refusing_to_serve"));
                // The last users' states were in the WAL: back. New events are applied.
                var recommended = await server.Client.RecommendAsync(new RecommendRequest { UserId = lastUser, K = 3 });
                Assert.False(recommended.Degraded);
                Assert.False(recommended.UnknownUser, $"user {lastUser}, written last, lost its state");
                Assert.Equal(1, (await server.Client.ObserveEventsAsync(Batch(Ev(lastUser, model.Data.ItemIds[2], T0 + 1000, "refusing:repaired")))).Applied);
            }
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task Health_EmbeddedWalWriteFails_NotServingWhileRecommendGoesOn()
    {
        string store = Directory.CreateTempSubdirectory("hiertcn-inference-walfault-").FullName;
        // The WAL's second segment cannot be created (a directory holds its name), so writes fail once the first is full.
        Directory.CreateDirectory(Path.Combine(store, "wal", "00000001.wal"));
        var settings = new Dictionary<string, string?>
        {
            ["StateStore:DataDirectory"] = store,
            ["StateStore:StorePageSizeBits"] = "16",
            ["StateStore:StoreMemorySizeBits"] = "20",
            ["StateStore:SegmentSizeBits"] = "16",
            ["StateStore:MaxStateBytes"] = "16384",
        };
        try
        {
            await using var server = await TestServer.StartAsync(model, settings);
            var health = new Health.HealthClient(server.Channel);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);

            RpcException? refused = null;
            for (int user = 1; user <= 2000 && refused is null; user++)
            {
                try
                {
                    await server.Client.ObserveEventsAsync(Batch(Ev(user, model.Data.ItemIds[1], T0, $"walfault:{user}")));
                }
                catch (RpcException ex)
                {
                    refused = ex;
                }
            }

            Assert.NotNull(refused);
            Assert.Contains("write-ahead log", refused.Status.Detail);
            var status = await health.CheckAsync(new HealthCheckRequest());
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, status.Status);
            Assert.Equal(1, await ScrapeAsync(server.MetricsPort, "hiertcn_statestore_writes_refused"));
            // Reads go on: user 1's state is there.
            Assert.False((await server.Client.RecommendAsync(new RecommendRequest { UserId = 1, K = 3 })).UnknownUser);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    /// <summary>True once the WAL has later segments and its first one was truncated away (two checkpoints after it).</summary>
    private static bool FirstWalSegmentTruncated(string store)
    {
        string wal = Path.Combine(store, "wal");
        return Directory.Exists(wal) && Directory.GetFiles(wal, "*.wal").Length > 0 && !File.Exists(Path.Combine(wal, "00000000.wal"));
    }

    /// <summary>The value of the unlabelled series <paramref name="name"/> on the server's /metrics.</summary>
    private static async Task<double> ScrapeAsync(int port, string name)
    {
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        var line = text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }
}

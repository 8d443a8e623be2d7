using Grpc.Net.Client;
using HierTcn.Inference.Server.Extensions;
using HierTcn.Inference.V1;
using HierTcn.Security;
using HierTcn.StateStore.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HierTcn.Inference.Tests;

/// <summary>The real server (Kestrel on 127.0.0.1, an ephemeral port) on the fixture's bundles with an embedded
/// FASTER store in its own temp directory, configured like a deployment, plus a gRPC client.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _storeDir;

    private TestServer(WebApplication app, string storeDir, string address, int metricsPort, ClientSecurityOptions? client)
    {
        _app = app;
        _storeDir = storeDir;
        Address = address;
        MetricsPort = metricsPort;
        Channel = Connect(client);
        Client = new Recommender.RecommenderClient(Channel);
    }

    /// <summary>A new channel to the server, with <paramref name="client"/>'s TLS trust and credentials when given.</summary>
    public GrpcChannel Connect(ClientSecurityOptions? client) => GrpcChannel.ForAddress(Address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 16 << 20,
        MaxSendMessageSize = 16 << 20,
        HttpHandler = client is null ? null : new ClientHandler(client),
    });

    public int Port => new Uri(Address).Port;

    public string Address { get; }

    public int MetricsPort { get; }

    public GrpcChannel Channel { get; }

    public Recommender.RecommenderClient Client { get; }

    public RecommenderEngine Engine => _app.Services.GetRecommenderEngine();

    /// <summary>Starts a server serving v1 alone unless <paramref name="settings"/> says otherwise, on
    /// <paramref name="store"/> when given (instead of the embedded store); <see cref="Client"/> uses
    /// <paramref name="client"/>'s TLS trust and credentials.</summary>
    public static async Task<TestServer> StartAsync(ServedModelFixture model, IDictionary<string, string?>? settings = null,
        IStateStore? store = null, ClientSecurityOptions? client = null)
    {
        string storeDir = Directory.CreateTempSubdirectory("hiertcn-inference-store-").FullName;
        int metricsPort = FreePort();
        var config = new Dictionary<string, string?>
        {
            ["Recommender:BundlesDirectory"] = model.BundlesDirectory,
            ["Recommender:SnapshotsDirectory"] = model.SnapshotsDirectory,
            ["Recommender:Models:0:Version"] = "v1",
            ["Recommender:Models:0:Weight"] = "1",
            ["Recommender:SnapshotPollInterval"] = "00:00:00",
            ["RecommenderServer:MetricsPort"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RecommenderServer:MetricsHostname"] = "127.0.0.1",
            ["StateStore:DataDirectory"] = storeDir,
            ["StateStore:IndexBuckets"] = "1024",
            ["StateStore:StoreMemorySizeBits"] = "23",
            ["StateStore:SegmentSizeBits"] = "22",
            ["Logging:LogLevel:Default"] = "Warning",
            // The machine running the tests may be loaded: a generous default deadline keeps them deterministic.
            ["RecommenderServer:DefaultDeadlineMs"] = "30000",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            config[k] = v;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test", ContentRootPath = storeDir });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(config);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (store is not null)
            builder.Services.AddSingleton(store);
        builder.AddRecommenderServer();
        var app = builder.Build();
        app.MapRecommenderServer();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            Directory.Delete(storeDir, recursive: true);
            throw;
        }
        if (metricsPort > 0 && config.GetValueOrDefault("RecommenderServer:MetricsPort") == metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            await WaitForMetricsAsync(metricsPort);
        string address = app.Urls.First();
        // With a certificate configured every endpoint speaks TLS, whatever the scheme it was given.
        if (!string.IsNullOrEmpty(config.GetValueOrDefault("Tls:CertificateFile")))
            address = address.Replace("http://", "https://", StringComparison.Ordinal);
        return new TestServer(app, storeDir, address, metricsPort, client);
    }

    /// <summary>The metric server is a hosted service that starts listening on its own: a scrape right after start
    /// could be refused on a loaded machine (seen in a full test run). Waits until it answers, at most 15 s.</summary>
    private static async Task WaitForMetricsAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/metrics");
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    internal static int FreePort() => HierTcn.Tests.Shared.LoopbackPort.Free();

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_storeDir, recursive: true);
    }
}

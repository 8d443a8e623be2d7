using HierTcn.StateStore.Server.Extensions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HierTcn.StateStore.Tests.Support;

/// <summary>The real shard server (Kestrel on 127.0.0.1, a free port, FASTER in a directory) inside the test
/// process, built with the server's own registrations.</summary>
public sealed class InProcessShard : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessShard(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    public string Address { get; }

    public int Port => new Uri(Address).Port;

    public static async Task<InProcessShard> StartAsync(string dataDirectory, params string[] extraArgs)
    {
        var options = TestStates.SmallOptions(dataDirectory);
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            $"--StateStore:DataDirectory={dataDirectory}",
            $"--StateStore:IndexBuckets={options.IndexBuckets}",
            $"--StateStore:StorePageSizeBits={options.StorePageSizeBits}",
            $"--StateStore:StoreMemorySizeBits={options.StoreMemorySizeBits}",
            $"--StateStore:SegmentSizeBits={options.SegmentSizeBits}",
            $"--StateStore:MaxStateBytes={options.MaxStateBytes}",
            "--StateStoreServer:MetricsPort=0",
            .. extraArgs,
        ];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        builder.Logging.ClearProviders();
        builder.AddStateStoreServer();
        var app = builder.Build();
        app.MapStateStoreServer();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // With a certificate configured every endpoint speaks TLS, whatever the scheme it was given.
        if (!string.IsNullOrEmpty(app.Configuration["Tls:CertificateFile"]))
            address = address.Replace("http://", "https://", StringComparison.Ordinal);
        return new InProcessShard(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HierTcn.Inference.Tests;

/// <summary>
/// The part of the Kubernetes API a pod's ConfigMap watch uses, on Kestrel at 127.0.0.1, answering as the API server
/// documents it: <c>GET /api/v1/namespaces/{ns}/configmaps?fieldSelector=metadata.name=N</c> lists (a ConfigMapList
/// with its resourceVersion); with <c>watch=true</c> it streams one JSON event a line
/// (<c>{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}</c>, chunked), a 410 Gone as an ERROR event
/// carrying a Status with code 410 and reason Expired. A request without the bearer token is 401. One ConfigMap,
/// one watch at a time; the test changes the ConfigMap, drops the watch's connection, or expires its version.
/// Not the real API server: its semantics beyond these (resourceVersion windows, chunking by the server) are not modelled.
/// </summary>
internal sealed class FakeKubernetesApi : IAsyncDisposable
{
    public const string Token = "test-token";
    public const string Namespace = "recs";

    private readonly WebApplication _app;
    private readonly string _name;
    private readonly string _key;
    private readonly Lock _gate = new();
    private readonly List<(bool Watch, string? ResourceVersion)> _requests = [];
    private string _data;
    private long _version = 100;
    private Channel<string>? _watch;
    private CancellationTokenSource? _drop;

    private FakeKubernetesApi(WebApplication app, string name, string key, string data)
    {
        _app = app;
        _name = name;
        _key = key;
        _data = data;
    }

    /// <summary>Base URL (http://127.0.0.1:port).</summary>
    public string Url => _app.Urls.First();

    /// <summary>The list and watch requests so far, in order: whether it watched, and the resourceVersion it gave.</summary>
    public IReadOnlyList<(bool Watch, string? ResourceVersion)> Requests
    {
        get
        {
            lock (_gate)
                return [.. _requests];
        }
    }

    /// <summary>The ConfigMap's resourceVersion now.</summary>
    public string Version
    {
        get
        {
            lock (_gate)
                return _version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public static async Task<FakeKubernetesApi> StartAsync(string name, string key, string data)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var api = new FakeKubernetesApi(app, name, key, data);
        app.MapGet("/api/v1/namespaces/{ns}/configmaps", api.ServeAsync);
        await app.StartAsync();
        return api;
    }

    /// <summary>Writes new data under the key; the open watch (if any) gets a MODIFIED event unless
    /// <paramref name="silently"/> (a change the watcher can only learn by listing).</summary>
    public void Modify(string data, bool silently = false)
    {
        lock (_gate)
        {
            _data = data;
            _version++;
            if (!silently)
                _watch?.Writer.TryWrite(Event("MODIFIED"));
        }
    }

    /// <summary>Sends the open watch a raw line.</summary>
    public void SendLine(string line)
    {
        lock (_gate)
            _watch?.Writer.TryWrite(line);
    }

    /// <summary>Ends the open watch with an ERROR event of status 410 (its resourceVersion is too old), as the API server
    /// does when a watch resumes from a compacted version.</summary>
    public void ExpireWatch() => SendLine("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 100 (200)","reason":"Expired","code":410}}""");

    /// <summary>Cuts the open watch's connection (no last chunk: the client sees the stream end prematurely).</summary>
    public void DropWatch()
    {
        lock (_gate)
        {
            _drop?.Cancel();
            (_watch, _drop) = (null, null);
        }
    }

    /// <summary>Waits until <paramref name="count"/> watch requests have been made and the last is open.</summary>
    public async Task WaitForWatchesAsync(int count)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            lock (_gate)
            {
                if (_requests.Count(r => r.Watch) >= count && _watch is not null)
                    return;
            }
            Assert.True(DateTime.UtcNow < until, $"watch {count} not opened within 20 s; requests: {string.Join(", ", Requests)}");
            await Task.Delay(10);
        }
    }

    private string ConfigMap() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["kind"] = "ConfigMap",
        ["apiVersion"] = "v1",
        ["metadata"] = new Dictionary<string, string> { ["name"] = _name, ["namespace"] = Namespace, ["resourceVersion"] = Version },
        ["data"] = new Dictionary<string, string> { [_key] = _data },
    });

    private string Event(string type) => $$"""{"type":"{{type}}","object":{{ConfigMap()}}}""";

    private async Task ServeAsync(HttpContext context, string ns)
    {
        var request = context.Request;
        if (request.Headers.Authorization != "Bearer " + Token)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        if (ns != Namespace || request.Query["fieldSelector"] != "metadata.name=" + _name)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        bool watch = request.Query["watch"] == "true";
        string? version = request.Query.TryGetValue("resourceVersion", out var v) ? v.ToString() : null;
        context.Response.ContentType = "application/json";
        if (!watch)
        {
            string list;
            lock (_gate)
            {
                _requests.Add((false, version));
                list = $$"""{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"{{Version}}"},"items":[{{ConfigMap()}}]}""";
            }
            await context.Response.WriteAsync(list, context.RequestAborted);
            return;
        }
        var channel = Channel.CreateUnbounded<string>();
        using var drop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        lock (_gate)
        {
            _requests.Add((true, version));
            // Changes after the version the client resumes from are replayed, as the API server's watch cache does.
            if (version is not null && long.TryParse(version, out long from) && from < _version)
                channel.Writer.TryWrite(Event("MODIFIED"));
            _watch = channel;
            _drop = drop;
        }
        await context.Response.StartAsync(context.RequestAborted);
        try
        {
            await foreach (string line in channel.Reader.ReadAllAsync(drop.Token))
            {
                await context.Response.WriteAsync(line + "\n", drop.Token);
                await context.Response.Body.FlushAsync(drop.Token);
                if (line.Contains("\"ERROR\"", StringComparison.Ordinal))
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            context.Abort();
        }
        finally
        {
            lock (_gate)
            {
                if (_watch == channel)
                    (_watch, _drop) = (null, null);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        DropWatch();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

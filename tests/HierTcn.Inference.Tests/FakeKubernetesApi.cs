using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HierTcn.Inference.Tests;

/// <summary>
/// The part of the Kubernetes API a pod's ConfigMap watch uses, on Kestrel at 127.0.0.1 over TLS (a certificate a
/// test authority issued for 127.0.0.1; the authority's PEM is the pod's ca.crt), answering as the API server
/// documents it: <c>GET /api/v1/namespaces/{ns}/configmaps?fieldSelector=metadata.name=N</c> lists (a ConfigMapList
/// with its resourceVersion); with <c>watch=true</c> it streams one JSON event a line
/// (<c>{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}</c>, chunked), a 410 Gone as an ERROR event
/// carrying a Status with code 410 and reason Expired, or as the HTTP status of the watch request. A request without
/// the bearer token accepted now is 401 (a Status). One ConfigMap, one watch at a time; the test changes, deletes or
/// creates the ConfigMap, sends bookmarks and errors, drops the watch's connection, expires its version, rotates the
/// accepted token, or makes the API unavailable (503). Not the real API server: its semantics beyond these
/// (resourceVersion windows, the watch cache, chunking by the server, HTTP/2) are not modelled.
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
    private bool _exists = true;
    private long _version = 100;
    private string _token = Token;
    private int _unauthorized;
    private int _connections;
    private bool _unavailable;
    private bool _goneAsStatus;
    private Channel<string>? _watch;
    private CancellationTokenSource? _drop;

    private FakeKubernetesApi(WebApplication app, string name, string key, string data)
    {
        _app = app;
        _name = name;
        _key = key;
        _data = data;
    }

    /// <summary>Base URL (https://127.0.0.1:port).</summary>
    public string Url => _app.Urls.First();

    /// <summary>The list and watch requests that carried the accepted token, in order: whether it watched, and the
    /// resourceVersion it gave.</summary>
    public IReadOnlyList<(bool Watch, string? ResourceVersion)> Requests
    {
        get
        {
            lock (_gate)
                return [.. _requests];
        }
    }

    /// <summary>Requests answered 401 (a token other than the accepted one).</summary>
    public int Unauthorized
    {
        get
        {
            lock (_gate)
                return _unauthorized;
        }
    }

    /// <summary>TCP connections accepted, whether or not their TLS handshake succeeded.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The latest resourceVersion (of the ConfigMap's last change or the last bookmark).</summary>
    public string Version
    {
        get
        {
            lock (_gate)
                return _version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Starts the API with the ConfigMap <paramref name="name"/> holding <paramref name="data"/> under
    /// <paramref name="key"/>, serving TLS with <paramref name="certificate"/> (it must name 127.0.0.1).</summary>
    public static async Task<FakeKubernetesApi> StartAsync(string name, string key, string data, X509Certificate2 certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        FakeKubernetesApi? api = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Use(next => connection =>
            {
                Interlocked.Increment(ref api!._connections);
                return next(connection);
            });
            listen.UseHttps(certificate);
        }));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        api = new FakeKubernetesApi(app, name, key, data);
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

    /// <summary>Deletes the ConfigMap (a DELETED event with its last state).</summary>
    public void Delete()
    {
        lock (_gate)
        {
            _version++;
            _watch?.Writer.TryWrite(Event("DELETED"));
            _exists = false;
        }
    }

    /// <summary>Creates the ConfigMap again with <paramref name="data"/> (an ADDED event).</summary>
    public void Create(string data)
    {
        lock (_gate)
        {
            (_data, _exists) = (data, true);
            _version++;
            _watch?.Writer.TryWrite(Event("ADDED"));
        }
    }

    /// <summary>Other objects of the namespace changed: the version moves on without the ConfigMap, and the open watch
    /// gets a BOOKMARK with the new version (an object of the watched kind carrying only its resourceVersion).</summary>
    public void Bookmark(int changesElsewhere)
    {
        lock (_gate)
        {
            _version += changesElsewhere;
            _watch?.Writer.TryWrite("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"" + Version + "\"}}}");
        }
    }

    /// <summary>Ends the open watch cleanly after the events already sent (the last chunk written), as the API server
    /// does when the request's timeoutSeconds runs out.</summary>
    public void EndWatch()
    {
        lock (_gate)
        {
            _watch?.Writer.TryComplete();
            (_watch, _drop) = (null, null);
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
    public void ExpireWatch() => SendLine(ErrorEvent(Status(410, "Expired", "too old resource version: 100 (200)")));

    /// <summary>Ends the open watch with an ERROR event of status 500 (the watch failed on the server).</summary>
    public void FailWatch() => SendLine(ErrorEvent(Status(500, "InternalError", "an error on the server has prevented the request from succeeding")));

    /// <summary>Answers the next watch request with the HTTP status 410 Gone (as the API server does for a
    /// resourceVersion already compacted when the watch starts), then drops the open watch.</summary>
    public void ExpireWithStatus()
    {
        lock (_gate)
            _goneAsStatus = true;
        DropWatch();
    }

    /// <summary>Only <paramref name="token"/> is accepted from now on; requests with another get 401.</summary>
    public void AcceptToken(string token)
    {
        lock (_gate)
            _token = token;
    }

    /// <summary>While set, lists and watches are answered 503 (the API server down behind a load balancer).</summary>
    public void SetUnavailable(bool unavailable)
    {
        lock (_gate)
            _unavailable = unavailable;
        if (unavailable)
            DropWatch();
    }

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

    private static string ErrorEvent(string status) => "{\"type\":\"ERROR\",\"object\":" + status + "}";

    /// <summary>A metav1.Status of a failure, as the API server answers one (a body, or an ERROR event's object).</summary>
    private static string Status(int code, string reason, string message) =>
        $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"{{message}}","reason":"{{reason}}","code":{{code}}}""";

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
        var response = context.Response;
        response.ContentType = "application/json";
        lock (_gate)
        {
            if (request.Headers.Authorization != "Bearer " + _token)
            {
                _unauthorized++;
                response.StatusCode = StatusCodes.Status401Unauthorized;
            }
            else if (_unavailable)
            {
                response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            }
        }
        if (response.StatusCode != StatusCodes.Status200OK)
        {
            bool unauthorized = response.StatusCode == StatusCodes.Status401Unauthorized;
            await response.WriteAsync(Status(response.StatusCode, unauthorized ? "Unauthorized" : "ServiceUnavailable",
                unauthorized ? "Unauthorized" : "the server is currently unable to handle the request"), context.RequestAborted);
            return;
        }
        if (ns != Namespace || request.Query["fieldSelector"] != "metadata.name=" + _name)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        bool watch = request.Query["watch"] == "true";
        string? version = request.Query.TryGetValue("resourceVersion", out var v) ? v.ToString() : null;
        if (!watch)
        {
            string list;
            lock (_gate)
            {
                _requests.Add((false, version));
                list = $$"""{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"{{Version}}"},"items":[{{(_exists ? ConfigMap() : "")}}]}""";
            }
            await response.WriteAsync(list, context.RequestAborted);
            return;
        }
        var channel = Channel.CreateUnbounded<string>();
        using var drop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        lock (_gate)
        {
            _requests.Add((true, version));
            if (_goneAsStatus)
            {
                _goneAsStatus = false;
                response.StatusCode = StatusCodes.Status410Gone;
            }
            else
            {
                // Changes after the version the client resumes from are replayed, as the API server's watch cache does.
                if (version is not null && long.TryParse(version, out long from) && from < _version)
                    channel.Writer.TryWrite(Event(_exists ? "MODIFIED" : "DELETED"));
                _watch = channel;
                _drop = drop;
            }
        }
        if (response.StatusCode == StatusCodes.Status410Gone)
        {
            await response.WriteAsync(Status(410, "Expired", "too old resource version: 100 (200)"), context.RequestAborted);
            return;
        }
        // The API server sends the watch's status and headers at once (it flushes before the first event).
        await response.StartAsync(context.RequestAborted);
        await response.Body.FlushAsync(context.RequestAborted);
        try
        {
            await foreach (string line in channel.Reader.ReadAllAsync(drop.Token))
            {
                await response.WriteAsync(line + "\n", drop.Token);
                await response.Body.FlushAsync(drop.Token);
                if (line.StartsWith("{\"type\":\"ERROR\"", StringComparison.Ordinal))
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

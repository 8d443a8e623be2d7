using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace HierTcn.Inference.Server.Internal;

/// <summary>
/// Follows the experiment ConfigMap (<see cref="RecommenderServerOptions.ExperimentConfigMap"/>) through the Kubernetes
/// API, so a change reaches the pod as soon as the API server has it, not after the kubelet's sync of the mounted file
/// (a minute or more). The ConfigMap is listed (field selector on its name), then watched from the list's
/// resourceVersion (<c>watch=true</c>, bookmarks, 5-minute server timeout); each ADDED or MODIFIED object's key named
/// like the experiment file goes to <see cref="ExperimentApplier"/>, which applies it or refuses it exactly as it
/// treats the file. A watch that ends is resumed from the last resourceVersion seen; a 410 Gone (an ERROR event or
/// the HTTP status) lists again; any failure retries with doubling delays (0.2 s to 30 s) while the file watch
/// (<see cref="ExperimentFileWatcher"/>) stands in. A watch that opens again after such a failure hands the last
/// ConfigMap seen to the applier once more, so the API is the source again at once (not only at its next change)
/// and arms the file brought in meanwhile, which may lag the API, are replaced. Not in a cluster, or without a
/// mounted token, the file alone is followed.
/// </summary>
internal sealed class ExperimentConfigMapWatcher(EngineHost host, ExperimentApplier applier, IOptions<RecommenderServerOptions> server,
    ILogger<ExperimentConfigMapWatcher> log) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(30);
    private const int WatchSeconds = 300;

    private string _name = "";
    private string _key = "";
    private string _label = "";
    private TimeSpan _delay = FirstRetry;
    private string? _version;

    // The ConfigMap as last listed or announced (cloned out of its document), null while it does not exist.
    private JsonElement? _object;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = server.Value;
        if (options.ExperimentConfigMap.Length == 0 || !host.IsReady)
            return;
        _name = options.ExperimentConfigMap;
        _key = Path.GetFileName(options.ExperimentFile);
        applier.SetApiLive(false);
        using var api = KubernetesApi.Create(options, out string? why);
        if (api is null)
        {
            ServerLog.ExperimentWatchOff(log, _name, why!);
            return;
        }
        _label = $"{api.Namespace}/{_name}";
        ServerLog.ExperimentWatchStarted(log, _label, api.BaseAddress.ToString());
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _version ??= await ListAsync(api, stoppingToken).ConfigureAwait(false);
                // _version follows every event, so a watch that fails resumes from the last one seen.
                _version = await WatchAsync(api, _version, stoppingToken).ConfigureAwait(false);
                if (_version is not null)
                    await Task.Delay(FirstRetry, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever fails here (the network, the API, a token that cannot be read, a malformed answer) must
                // not stop the host, which an exception leaving a BackgroundService does: retry, the file stands in.
                applier.SetApiLive(false);
                var wait = _delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)(_delay.TotalMilliseconds / 4) + 1));
                ServerLog.ExperimentWatchInterrupted(log, wait, e.Message);
                _delay = TimeSpan.FromTicks(Math.Min(_delay.Ticks * 2, LastRetry.Ticks));
                try
                {
                    await Task.Delay(wait, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        applier.SetApiLive(false);
    }

    private string ListPath(KubernetesApi api) =>
        $"/api/v1/namespaces/{Uri.EscapeDataString(api.Namespace)}/configmaps?fieldSelector={Uri.EscapeDataString("metadata.name=" + _name)}";

    /// <summary>Lists the ConfigMap, applies it, and returns the list's resourceVersion (where the watch starts).</summary>
    private async Task<string> ListAsync(KubernetesApi api, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(ListTimeout);
        using var response = await api.GetAsync(ListPath(api), timeout.Token).ConfigureAwait(false);
        await EnsureOkAsync(response, "list", timeout.Token).ConfigureAwait(false);
        using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false),
            cancellationToken: timeout.Token).ConfigureAwait(false);
        string version = ResourceVersion(doc.RootElement) ?? throw new InvalidDataException("the list has no metadata.resourceVersion");
        var item = doc.RootElement.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array
            ? items.EnumerateArray().FirstOrDefault(i => Name(i) == _name)
            : default;
        if (item.ValueKind == JsonValueKind.Object)
        {
            _object = item.Clone();
            await ApplyAsync(item, stoppingToken).ConfigureAwait(false);
        }
        else
        {
            _object = null;
            applier.SetApiLive(false);
            ServerLog.ExperimentConfigMapMissing(log, _label, "does not exist");
        }
        return version;
    }

    /// <summary>Watches from <paramref name="version"/> until the stream ends; returns the last resourceVersion seen,
    /// or null when the API answers 410 Gone (the version is too old: list again).</summary>
    private async Task<string?> WatchAsync(KubernetesApi api, string version, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        // The server ends the watch after WatchSeconds; a connection silent well past that is dead.
        timeout.CancelAfter(TimeSpan.FromSeconds(WatchSeconds + 30));
        string query = $"{ListPath(api)}&watch=true&allowWatchBookmarks=true&timeoutSeconds={WatchSeconds}&resourceVersion={Uri.EscapeDataString(version)}";
        try
        {
            using var response = await api.GetAsync(query, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Gone)
                return null;
            await EnsureOkAsync(response, "watch", timeout.Token).ConfigureAwait(false);
            _delay = FirstRetry;
            // Resumed after a failure, which handed the routing to the file: the object seen last is current up to
            // this version, so it is the source again (unchanged text is not applied twice).
            if (!applier.ApiLive && _object is { } last)
                await ApplyAsync(last, stoppingToken).ConfigureAwait(false);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false));
            while (await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                    continue;
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                string type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
                if (!root.TryGetProperty("object", out var obj) || obj.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"a watch event ({type}) without an object");
                switch (type)
                {
                    case "ADDED" or "MODIFIED":
                        version = _version = ResourceVersion(obj) ?? version;
                        if (Name(obj) == _name)
                        {
                            _object = obj.Clone();
                            await ApplyAsync(obj, stoppingToken).ConfigureAwait(false);
                        }
                        break;
                    case "DELETED":
                        version = _version = ResourceVersion(obj) ?? version;
                        _object = null;
                        applier.SetApiLive(false);
                        ServerLog.ExperimentConfigMapMissing(log, _label, "was deleted");
                        break;
                    case "BOOKMARK":
                        version = _version = ResourceVersion(obj) ?? version;
                        break;
                    case "ERROR":
                        // A Status object; 410 (Expired/Gone): the version left the API server's window.
                        int code = obj.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 0;
                        if (code == (int)HttpStatusCode.Gone)
                            return null;
                        _version = null;
                        throw new InvalidDataException($"watch error {code}: {Text(obj, "message")}");
                    default:
                        throw new InvalidDataException($"unknown watch event type '{type}'");
                }
            }
            return version;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The client-side bound of a silent watch: resume from the last version.
            return version;
        }
    }

    private Task ApplyAsync(JsonElement configMap, CancellationToken cancellationToken)
    {
        string source = $"ConfigMap {_label} key {_key} (resourceVersion {ResourceVersion(configMap)})";
        if (configMap.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
            && data.TryGetProperty(_key, out var value) && value.ValueKind == JsonValueKind.String)
        {
            return applier.ApplyFromApiAsync(source, value.GetString()!, cancellationToken);
        }
        return applier.RefuseAsync(source, $"the ConfigMap has no data key '{_key}'", "\0no key " + _key, fromApi: true, cancellationToken);
    }

    private static async Task EnsureOkAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw new HttpRequestException(
            $"{what} answered {(int)response.StatusCode} {response.ReasonPhrase}: {(body.Length > 300 ? body[..300] : body)}", null, response.StatusCode);
    }

    private static string? ResourceVersion(JsonElement e) =>
        e.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? Text(m, "resourceVersion") : null;

    private static string? Name(JsonElement e) =>
        e.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? Text(m, "name") : null;

    private static string? Text(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

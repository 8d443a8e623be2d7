using System.Net.Http.Headers;
using HierTcn.Security;

namespace HierTcn.Inference.Server.Internal;

/// <summary>
/// The Kubernetes API as a pod reaches it with its service account: the address from
/// <see cref="RecommenderServerOptions.KubernetesApiUrl"/>, else <c>https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT</c>;
/// the namespace, bearer token and authority (<c>namespace</c>, <c>token</c>, <c>ca.crt</c>) from
/// <see cref="RecommenderServerOptions.ServiceAccountDirectory"/>. The token is read again for every request, since
/// the kubelet rotates a projected token in place. Owns its <see cref="HttpClient"/> (no overall timeout: a watch
/// runs for minutes; callers bound their requests).
/// </summary>
internal sealed class KubernetesApi : IDisposable
{
    private readonly string _tokenFile;

    private KubernetesApi(Uri baseAddress, string ns, string tokenFile, HttpClient http)
    {
        BaseAddress = baseAddress;
        Namespace = ns;
        _tokenFile = tokenFile;
        Http = http;
    }

    public Uri BaseAddress { get; }

    /// <summary>The pod's namespace (the service account's).</summary>
    public string Namespace { get; }

    public HttpClient Http { get; }

    /// <summary>The API as configured, or null with why it cannot be reached (not in a cluster, no token mounted).</summary>
    public static KubernetesApi? Create(RecommenderServerOptions options, out string? why)
    {
        string url = options.KubernetesApiUrl;
        if (url.Length == 0)
        {
            string? host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
            string? port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
            if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
            {
                why = $"KUBERNETES_SERVICE_HOST/PORT are not set (not in a cluster) and {RecommenderServerOptions.Section}:KubernetesApiUrl is empty";
                return null;
            }
            url = $"https://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}";
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("https" or "http"))
        {
            why = $"'{url}' is not an http(s) URL";
            return null;
        }
        string dir = options.ServiceAccountDirectory;
        string tokenFile = Path.Combine(dir, "token");
        string ns;
        try
        {
            ns = File.ReadAllText(Path.Combine(dir, "namespace")).Trim();
            if (File.ReadAllText(tokenFile).Trim().Length == 0)
            {
                why = $"{tokenFile} is empty";
                return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = $"no service-account token or namespace in {dir} (is automountServiceAccountToken off?): {e.Message}";
            return null;
        }
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        string ca = Path.Combine(dir, "ca.crt");
        if (baseAddress.Scheme == "https" && File.Exists(ca))
        {
            try
            {
                var trusted = TrustedCertificates.Parse(File.ReadAllBytes(ca));
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => trusted.CheckServer(certificate, chain, errors);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                handler.Dispose();
                why = $"{ca} cannot be read: {e.Message}";
                return null;
            }
        }
        why = null;
        return new KubernetesApi(baseAddress, ns, tokenFile, new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan });
    }

    /// <summary>A GET of <paramref name="pathAndQuery"/> with the current token, answered once its headers arrive.</summary>
    public async Task<HttpResponseMessage> GetAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        string token = (await File.ReadAllTextAsync(_tokenFile, cancellationToken).ConfigureAwait(false)).Trim();
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => Http.Dispose();
}

using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace HierTcn.Security;

/// <summary>The HTTP handler of a gRPC client under <see cref="ClientSecurityOptions"/>: HTTP/2 over
/// <see cref="SocketsHttpHandler"/> (several connections per server when one is full), the server certificate
/// checked against the configured authorities and the address, the client certificate and the bearer token of
/// the moment (files reloaded; a new token applies to the next call, a new certificate to the next connection).
/// Give it to <c>GrpcChannelOptions.HttpHandler</c>; disposing it stops the reloading.</summary>
public sealed class ClientHandler : DelegatingHandler
{
    private readonly ReloadingFiles<TrustedCertificates>? _trust;
    private readonly ReloadingFiles<X509Certificate2>? _certificate;
    private readonly ReloadingFiles<string>? _token;

    /// <summary>Reads every configured file now.</summary>
    /// <exception cref="InvalidDataException">A file cannot be read or parsed; the message names it.</exception>
    public ClientHandler(ClientSecurityOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var interval = options.ReloadInterval;
        try
        {
            if (options.CaFile.Length > 0)
                _trust = new ReloadingFiles<TrustedCertificates>([options.CaFile], f => TrustedCertificates.Parse(f[0]), interval, logger);
            if (options.CertificateFile.Length > 0)
                _certificate = new ReloadingFiles<X509Certificate2>([options.CertificateFile, options.KeyFile], f => PemCertificate.WithKey(f[0], f[1]), interval, logger);
            if (options.TokenFile.Length > 0)
                _token = new ReloadingFiles<string>([options.TokenFile], f => TokenOf(f[0]), interval, logger);
        }
        catch
        {
            DisposeReloaders();
            throw;
        }
        var ssl = new SslClientAuthenticationOptions();
        if (_trust is not null)
            ssl.RemoteCertificateValidationCallback = CheckServer;
        if (_certificate is not null)
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => _certificate.Current;
        InnerHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            SslOptions = ssl,
        };
    }

    /// <summary>The reloaded token file, for tests and tools that want to force a check; null without one.</summary>
    public ReloadingFiles<string>? Token => _token;

    /// <summary>The reloaded client certificate files; null without one.</summary>
    public ReloadingFiles<X509Certificate2>? Certificate => _certificate;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token.Current);
        return base.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            DisposeReloaders();
        base.Dispose(disposing);
    }

    private void DisposeReloaders()
    {
        _trust?.Dispose();
        _certificate?.Dispose();
        _token?.Dispose();
    }

    private bool CheckServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        => _trust!.Current.CheckServer(certificate, chain, errors);

    private static string TokenOf(byte[] contents)
    {
        string? token = Encoding.UTF8.GetString(contents).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        return token ?? throw new InvalidDataException("the token file is empty");
    }
}

using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using HierTcn.Security;
using Microsoft.Extensions.Options;

namespace HierTcn.Security.Server.Internal;

/// <summary>The server's reloaded material: its certificate, the client authorities and the tokens of each role.
/// Files are read when the container creates it (at start) and then every reload interval.</summary>
internal sealed class ServerCredentials : IDisposable
{
    private readonly ReloadingFiles<X509Certificate2>? _certificate;
    private readonly ReloadingFiles<TrustedCertificates>? _clientCa;
    private readonly ReloadingFiles<BearerTokens>? _readTokens;
    private readonly ReloadingFiles<BearerTokens>? _writeTokens;
    private readonly HashSet<string> _readClients;
    private readonly HashSet<string> _writeClients;
    private readonly ConcurrentDictionary<string, (long Generation, string? Problem)> _checked = new(StringComparer.Ordinal);

    public ServerCredentials(IOptions<ServerTlsOptions> tls, IOptions<AuthOptions> auth, ILogger<ServerCredentials> logger)
    {
        var t = tls.Value;
        var a = auth.Value;
        AuthEnabled = a.Enabled;
        _readClients = new(a.ReadClients, StringComparer.Ordinal);
        _writeClients = new(a.WriteClients, StringComparer.Ordinal);
        try
        {
            if (t.Enabled)
                _certificate = new([t.CertificateFile, t.KeyFile], f => PemCertificate.WithKey(f[0], f[1]), t.ReloadInterval, logger);
            if (t.ClientCaFile.Length > 0)
                _clientCa = new([t.ClientCaFile], f => TrustedCertificates.Parse(f[0]), t.ReloadInterval, logger);
            if (a.Enabled && a.ReadTokensFile.Length > 0)
                _readTokens = new([a.ReadTokensFile], f => BearerTokens.Parse(f[0]), a.ReloadInterval, logger);
            if (a.Enabled && a.WriteTokensFile.Length > 0)
                _writeTokens = new([a.WriteTokensFile], f => BearerTokens.Parse(f[0]), a.ReloadInterval, logger);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public bool AuthEnabled { get; }

    public bool AsksClientCertificates => _clientCa is not null;

    /// <summary>The certificate new TLS connections get.</summary>
    public X509Certificate2 Certificate => (_certificate ?? throw new InvalidOperationException("TLS is off")).Current;

    /// <summary>The roles a bearer token grants; <see cref="CallerRoles.None"/> for an unknown one.</summary>
    public CallerRoles RolesOfToken(string token)
    {
        var roles = CallerRoles.None;
        if (_readTokens?.Current.Contains(token) == true)
            roles |= CallerRoles.Read;
        if (_writeTokens?.Current.Contains(token) == true)
            roles |= CallerRoles.Write;
        return roles;
    }

    /// <summary>Checks a client certificate against the client authorities (the result is kept per certificate
    /// until they change) and returns its roles, or the reason it is not trusted.</summary>
    public (CallerRoles Roles, string Name, string? Problem) RolesOfCertificate(X509Certificate2 certificate)
    {
        var names = PemCertificate.NamesOf(certificate);
        string name = names.Count > 0 ? names[0] : certificate.Thumbprint;
        if (_clientCa is null)
            return (CallerRoles.None, name, "client certificates are not accepted (Tls:ClientCaFile is not set)");
        long generation = _clientCa.Generation;
        string key = certificate.Thumbprint;
        if (!_checked.TryGetValue(key, out var known) || known.Generation != generation)
        {
            if (_checked.Count > 10_000)
                _checked.Clear();
            known = (generation, _clientCa.Current.Check(certificate, asClient: true));
            _checked[key] = known;
        }
        if (known.Problem is not null)
            return (CallerRoles.None, name, "the client certificate is not trusted: " + known.Problem);
        var roles = CallerRoles.None;
        if (names.Any(_readClients.Contains))
            roles |= CallerRoles.Read;
        if (names.Any(_writeClients.Contains))
            roles |= CallerRoles.Write;
        return (roles, name, null);
    }

    public void Dispose()
    {
        _certificate?.Dispose();
        _clientCa?.Dispose();
        _readTokens?.Dispose();
        _writeTokens?.Dispose();
    }
}

using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HierTcn.Security;

/// <summary>The certificate authorities a peer's certificate must chain to (a ca.crt bundle), instead of the
/// system's. Revocation is not checked (short-lived cert-manager certificates are the expected use).</summary>
public sealed class TrustedCertificates
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private readonly X509Certificate2Collection _roots;

    private TrustedCertificates(X509Certificate2Collection roots) => _roots = roots;

    /// <summary>Parses a PEM bundle of CA certificates.</summary>
    /// <exception cref="CryptographicException">The bundle is malformed or empty.</exception>
    public static TrustedCertificates Parse(ReadOnlySpan<byte> pem) => new(PemCertificate.Bundle(pem));

    /// <summary>Checks that <paramref name="certificate"/> chains to one of these authorities, is within its
    /// validity period and, if it names usages, may be used as a client (or server) certificate. Returns null when
    /// it does, else the problem.</summary>
    public string? Check(X509Certificate2 certificate, bool asClient, X509Certificate2Collection? intermediates = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(_roots);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.ApplicationPolicy.Add(asClient ? ClientAuth : ServerAuth);
        if (intermediates is not null)
            policy.ExtraStore.AddRange(intermediates);
        if (chain.Build(certificate))
            return null;
        return string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("untrusted"));
    }

    /// <summary>A TLS client's check of the server's certificate (a remote-certificate validation callback): the
    /// name check stays the platform's (a name mismatch or no certificate fails); the chain is checked against these
    /// authorities only, with the intermediates the server sent.</summary>
    public bool CheckServer(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            return false;
        using var leaf = new X509Certificate2(certificate);
        var intermediates = new X509Certificate2Collection();
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements.Skip(1))
                intermediates.Add(element.Certificate);
        }
        return Check(leaf, asClient: false, intermediates) is null;
    }
}

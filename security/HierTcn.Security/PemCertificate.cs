using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace HierTcn.Security;

/// <summary>Certificates from PEM, as cert-manager and kubectl write them (tls.crt, tls.key, ca.crt).</summary>
public static class PemCertificate
{
    /// <summary>A certificate with its private key: the first certificate of <paramref name="certificatePem"/> (a
    /// chain file starts with the leaf) and the key of <paramref name="keyPem"/> (PKCS#8, PKCS#1 or SEC1).</summary>
    /// <exception cref="CryptographicException">The PEM is malformed or the key does not match the certificate.</exception>
    public static X509Certificate2 WithKey(ReadOnlySpan<byte> certificatePem, ReadOnlySpan<byte> keyPem)
    {
        using var pem = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(certificatePem), Encoding.ASCII.GetString(keyPem));
        // An ephemeral key cannot be used by TLS on every platform; a PKCS#12 round trip gives a persisted one.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Every certificate of a PEM bundle (a CA file).</summary>
    /// <exception cref="CryptographicException">The bundle is malformed or holds no certificate.</exception>
    public static X509Certificate2Collection Bundle(ReadOnlySpan<byte> pem)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(Encoding.ASCII.GetString(pem));
        return certificates.Count > 0 ? certificates : throw new CryptographicException("no certificate in the PEM bundle");
    }

    /// <summary>The names a certificate identifies its holder by: its subject's common name and its DNS subject
    /// alternative names.</summary>
    public static IReadOnlyList<string> NamesOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<string>();
        string cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (cn.Length > 0)
            names.Add(cn);
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
                names.AddRange(san.EnumerateDnsNames());
        }
        return names;
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HierTcn.Tests.Shared;

/// <summary>A certificate authority made for one test (ECDSA P-256, valid a day) and the certificates it issues,
/// written as PEM files (tls.crt, tls.key, ca.crt as cert-manager names them) under a temp directory that is deleted
/// on dispose. Files are replaced atomically (write, then rename), as a Secret volume update is.</summary>
internal sealed class TestPki : IDisposable
{
    private readonly X509Certificate2 _ca;

    public TestPki(string name = "hiertcn-test-ca")
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("hiertcn-pki-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        CaFile = Path.Combine(Directory, "ca.crt");
        Write(CaFile, _ca.ExportCertificatePem());
    }

    public string Directory { get; }

    /// <summary>The authority's certificate, PEM.</summary>
    public string CaFile { get; }

    /// <summary>Issues a certificate for <paramref name="name"/> (common name and DNS name, plus localhost and
    /// 127.0.0.1) usable as a server and a client certificate, and writes it to
    /// <paramref name="folder"/>/tls.crt and tls.key (replacing what is there). Returns the two paths.</summary>
    public (string Certificate, string Key) Issue(string name, string? folder = null)
    {
        string dir = Path.Combine(Directory, folder ?? name);
        System.IO.Directory.CreateDirectory(dir);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        using var certificate = request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(16));
        string crt = Path.Combine(dir, "tls.crt"), pem = Path.Combine(dir, "tls.key");
        Write(pem, key.ExportPkcs8PrivateKeyPem());
        Write(crt, certificate.ExportCertificatePem());
        return (crt, pem);
    }

    /// <summary>The SHA-1 thumbprint of the certificate in <paramref name="certificateFile"/>.</summary>
    public static string ThumbprintOf(string certificateFile)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificateFile));
        return certificate.Thumbprint;
    }

    /// <summary>The thumbprint of the certificate a TLS server on 127.0.0.1:<paramref name="port"/> presents to a new
    /// connection (HTTP/2 offered; the certificate is not checked).</summary>
    public static async Task<string> PresentedThumbprintAsync(int port)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        string thumbprint = "";
        await using var ssl = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            thumbprint = certificate is X509Certificate2 c ? c.Thumbprint : "";
            return true;
        });
        await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http2],
        });
        return thumbprint;
    }

    /// <summary>Replaces <paramref name="path"/> atomically with <paramref name="text"/>.</summary>
    public static void Write(string path, string text)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose()
    {
        _ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

namespace HierTcn.Security;

/// <summary>TLS of a gRPC server (section "Tls"). Off (cleartext HTTP/2, for local runs; a warning is logged at
/// start) unless <see cref="CertificateFile"/> is set; then every gRPC endpoint speaks TLS, whatever the scheme of
/// its URL. The files are the keys of a kubernetes.io/tls Secret (cert-manager writes them) and are reloaded when
/// they change: new connections get the new certificate, open ones keep theirs.</summary>
public sealed class ServerTlsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Tls";

    /// <summary>The server certificate, PEM (tls.crt; a chain starting with the leaf). Empty (default): TLS off.</summary>
    public string CertificateFile { get; set; } = "";

    /// <summary>Its private key, PEM (tls.key). Required with <see cref="CertificateFile"/>.</summary>
    public string KeyFile { get; set; } = "";

    /// <summary>Authorities whose client certificates identify callers (ca.crt; mutual TLS). Empty (default): client
    /// certificates are not asked for. A certificate that does not chain to them is refused per call with
    /// UNAUTHENTICATED; which names hold which role is <see cref="AuthOptions"/>.</summary>
    public string ClientCaFile { get; set; } = "";

    /// <summary>A port that stays cleartext HTTP/2 while TLS is on and serves only the gRPC health service (the
    /// kubelet's gRPC probes do not speak TLS); it must also be one of the server's endpoints. Default 0: none.</summary>
    public int HealthPort { get; set; }

    /// <summary>How often the files are checked for a change. Default 10 s.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True when a certificate is configured.</summary>
    public bool Enabled => CertificateFile.Length > 0;

    /// <summary>Returns every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (CertificateFile.Length > 0 != KeyFile.Length > 0)
            errors.Add($"{Section}:CertificateFile and {Section}:KeyFile go together; set both or neither");
        if (ClientCaFile.Length > 0 && !Enabled)
            errors.Add($"{Section}:ClientCaFile needs {Section}:CertificateFile (client certificates travel over TLS)");
        foreach (var (name, path) in new[] { ("CertificateFile", CertificateFile), ("KeyFile", KeyFile), ("ClientCaFile", ClientCaFile) })
        {
            if (path.Length > 0 && !File.Exists(path))
                errors.Add($"{Section}:{name} '{path}' does not exist");
        }
        if (HealthPort is < 0 or > 65535)
            errors.Add($"{Section}:HealthPort is {HealthPort}; allowed 0..65535");
        if (ReloadInterval <= TimeSpan.Zero)
            errors.Add($"{Section}:ReloadInterval is {ReloadInterval}; it must be positive");
        return errors;
    }
}

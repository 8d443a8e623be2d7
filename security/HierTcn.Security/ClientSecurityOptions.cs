namespace HierTcn.Security;

/// <summary>How a client reaches a server that may use TLS and authorization: the authorities that vouch for the
/// server's certificate, an optional client certificate (mutual TLS) and an optional bearer token, all read from
/// files and reloaded when they change. With every setting empty (the default) an https:// server is checked
/// against the system's authorities and no credentials are sent.</summary>
public sealed class ClientSecurityOptions
{
    /// <summary>Authorities the server's certificate must chain to (ca.crt), instead of the system's. The server's
    /// name must also match the address (a DNS or IP subject alternative name). Empty (default): the system's.</summary>
    public string CaFile { get; set; } = "";

    /// <summary>Client certificate, PEM (tls.crt), presented when the server asks (mutual TLS). Empty: none.</summary>
    public string CertificateFile { get; set; } = "";

    /// <summary>Its private key, PEM (tls.key). Required with <see cref="CertificateFile"/>.</summary>
    public string KeyFile { get; set; } = "";

    /// <summary>File whose first non-blank line is the bearer token sent with every call. Empty: none.</summary>
    public string TokenFile { get; set; } = "";

    /// <summary>How often the files are checked for a change. Default 10 s.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Returns every problem with these options (each prefixed with <paramref name="prefix"/>); empty when
    /// they are valid.</summary>
    public IReadOnlyList<string> Validate(string prefix = "")
    {
        var errors = new List<string>();
        if (CertificateFile.Length > 0 != KeyFile.Length > 0)
            errors.Add($"{prefix}CertificateFile and {prefix}KeyFile go together; set both or neither");
        foreach (var (name, path) in new[] { ("CaFile", CaFile), ("CertificateFile", CertificateFile), ("KeyFile", KeyFile), ("TokenFile", TokenFile) })
        {
            if (path.Length > 0 && !File.Exists(path))
                errors.Add($"{prefix}{name} '{path}' does not exist");
        }
        if (ReloadInterval <= TimeSpan.Zero)
            errors.Add($"{prefix}ReloadInterval is {ReloadInterval}; it must be positive");
        return errors;
    }
}

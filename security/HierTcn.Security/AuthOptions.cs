namespace HierTcn.Security;

/// <summary>Who may call which methods of a gRPC server (section "Auth"). Off by default (every caller may do
/// everything; a warning is logged at start). When on, a caller proves a role with a bearer token listed in a role's
/// tokens file (header "authorization: Bearer TOKEN") or with a client certificate (mutual TLS,
/// <see cref="ServerTlsOptions.ClientCaFile"/>) whose common name or DNS name is listed for the role. Health is
/// public; every other method needs <see cref="CallerRoles.Read"/> unless it writes, then <see cref="CallerRoles.Write"/>.
/// No credentials, an unknown token or an untrusted certificate: UNAUTHENTICATED; a role short: PERMISSION_DENIED.
/// Tokens files are reloaded when they change.</summary>
public sealed class AuthOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Auth";

    /// <summary>Whether calls are authorized. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Tokens that grant <see cref="CallerRoles.Read"/>, one a line (<see cref="BearerTokens"/>). Empty:
    /// no token grants it.</summary>
    public string ReadTokensFile { get; set; } = "";

    /// <summary>Tokens that grant <see cref="CallerRoles.Write"/>. Empty: no token grants it.</summary>
    public string WriteTokensFile { get; set; } = "";

    /// <summary>Client certificate names (common name or DNS name) granted <see cref="CallerRoles.Read"/>.</summary>
    public IList<string> ReadClients { get; set; } = [];

    /// <summary>Client certificate names granted <see cref="CallerRoles.Write"/>.</summary>
    public IList<string> WriteClients { get; set; } = [];

    /// <summary>How often the tokens files are checked for a change. Default 10 s.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Returns every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate(ServerTlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        var errors = new List<string>();
        if (!Enabled)
            return errors;
        foreach (var (name, path) in new[] { ("ReadTokensFile", ReadTokensFile), ("WriteTokensFile", WriteTokensFile) })
        {
            if (path.Length > 0 && !File.Exists(path))
                errors.Add($"{Section}:{name} '{path}' does not exist");
        }
        if ((ReadClients.Count > 0 || WriteClients.Count > 0) && tls.ClientCaFile.Length == 0)
            errors.Add($"{Section}:ReadClients and {Section}:WriteClients need {ServerTlsOptions.Section}:ClientCaFile (client certificates)");
        if (ReadTokensFile.Length == 0 && WriteTokensFile.Length == 0 && ReadClients.Count == 0 && WriteClients.Count == 0)
            errors.Add($"{Section}:Enabled is true but no tokens file and no client names grant a role; every call would be refused");
        if (ReloadInterval <= TimeSpan.Zero)
            errors.Add($"{Section}:ReloadInterval is {ReloadInterval}; it must be positive");
        return errors;
    }
}

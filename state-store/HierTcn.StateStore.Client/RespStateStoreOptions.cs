using HierTcn.Formats.State;
using HierTcn.Security;

namespace HierTcn.StateStore.Client;

/// <summary>Configuration of a <see cref="RespStateStore"/>: a Redis Cluster or a Garnet cluster (section
/// "StateStoreClient:Resp"). The servers' own settings (persistence, replicas, Lua) are in state-store/README.md,
/// "RESP cluster".</summary>
public sealed class RespStateStoreOptions
{
    /// <summary>Some of the cluster's nodes as host:port (for example redis-0.redis:6379); the client discovers the
    /// rest and the slot map from them. Required.</summary>
    public IList<string> Endpoints { get; set; } = [];

    /// <summary>Deadline of each call (a batch is one call). Default 5 s.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long opening the store waits for the cluster. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest serialized state accepted, bytes. Default 1 MiB (the embedded engine's default).</summary>
    public int MaxStateBytes { get; set; } = 1 << 20;

    /// <summary>Prepended to every key (the engine's key bytes: int64 user id little-endian, then the model
    /// version's UTF-8), so the states can share a cluster with other data. Default "hts:".</summary>
    public string KeyPrefix { get; set; } = "hts:";

    /// <summary>A user not written for this long is removed by the cluster (key expiry), like the engine's
    /// <see cref="StateStoreOptions.UserTtl"/>. Default 30 days; 0 disables.</summary>
    public TimeSpan UserTtl { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Replicas that must have a write (Redis/Garnet WAIT) before it is acknowledged; fewer within
    /// <see cref="ReplicaWaitTimeout"/> answers <see cref="StoreStatus.Unavailable"/> (the write is on the primary
    /// and may or may not survive its loss). Default 0: acknowledged once the primary has it.</summary>
    public int WaitForReplicas { get; set; }

    /// <summary>How long a write waits for <see cref="WaitForReplicas"/> replicas. Default 1 s.</summary>
    public TimeSpan ReplicaWaitTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Connect with TLS. Default false.</summary>
    public bool Tls { get; set; }

    /// <summary>With <see cref="Tls"/>: the authorities the nodes' certificates must chain to (<c>CaFile</c>;
    /// empty: the system's) and the client certificate for mutual TLS (<c>CertificateFile</c>, <c>KeyFile</c>).
    /// Read once at start. <c>TokenFile</c> is not used; see <see cref="PasswordFile"/>.</summary>
    public ClientSecurityOptions Security { get; set; } = new();

    /// <summary>ACL user name (AUTH user password). Empty (default): the default user.</summary>
    public string User { get; set; } = "";

    /// <summary>File whose first line is the password (AUTH). Empty (default): no AUTH.</summary>
    public string PasswordFile { get; set; } = "";

    /// <summary>The user state record format written: 2 (default) or 1, which builds from before format 2 read (the
    /// cluster keeps the bytes as written, and every pod reads them). Format 1 drops the open session's item times,
    /// start, event ids and the late bound; set it while such builds still serve (state-store/README.md, "Rolling
    /// upgrade of the record format").</summary>
    public int WriteRecordFormat { get; set; } = UserStateSerializer.FormatVersion;

    /// <summary>Returns every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Endpoints.Count == 0)
            errors.Add("Endpoints is empty; list at least one node as host:port");
        for (int i = 0; i < Endpoints.Count; i++)
        {
            string endpoint = Endpoints[i];
            int colon = endpoint.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), out int port) || port is < 1 or > 65535)
                errors.Add($"Endpoints[{i}] is '{endpoint}'; it must be host:port");
        }
        if (CallTimeout <= TimeSpan.Zero)
            errors.Add($"CallTimeout is {CallTimeout}; it must be positive");
        if (ConnectTimeout <= TimeSpan.Zero)
            errors.Add($"ConnectTimeout is {ConnectTimeout}; it must be positive");
        if (MaxStateBytes < 64)
            errors.Add($"MaxStateBytes is {MaxStateBytes}; at least 64");
        if (UserTtl < TimeSpan.Zero)
            errors.Add($"UserTtl is {UserTtl}; 0 (no expiry) or positive");
        if (WaitForReplicas < 0)
            errors.Add($"WaitForReplicas is {WaitForReplicas}; 0 or more");
        if (ReplicaWaitTimeout <= TimeSpan.Zero)
            errors.Add($"ReplicaWaitTimeout is {ReplicaWaitTimeout}; it must be positive");
        if (WriteRecordFormat < UserStateSerializer.OldestFormatVersion || WriteRecordFormat > UserStateSerializer.FormatVersion)
            errors.Add($"WriteRecordFormat is {WriteRecordFormat}; allowed {UserStateSerializer.OldestFormatVersion} or {UserStateSerializer.FormatVersion}");
        errors.AddRange(Security.Validate("Security:"));
        if (!Tls && (Security.CaFile.Length > 0 || Security.CertificateFile.Length > 0))
            errors.Add("Security sets TLS files but Tls is false");
        if (Security.TokenFile.Length > 0)
            errors.Add("Security:TokenFile is not used by the RESP store; set User and PasswordFile");
        if (PasswordFile.Length > 0 && !File.Exists(PasswordFile))
            errors.Add($"PasswordFile '{PasswordFile}' does not exist");
        if (User.Length > 0 && PasswordFile.Length == 0)
            errors.Add("User is set without PasswordFile");
        return errors;
    }
}

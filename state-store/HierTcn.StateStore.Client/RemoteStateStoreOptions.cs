using HierTcn.Formats.State;
using HierTcn.Security;

namespace HierTcn.StateStore.Client;

/// <summary>Configuration of a <see cref="RemoteStateStore"/>.</summary>
public sealed class RemoteStateStoreOptions
{
    /// <summary>The shards' addresses (for example http://state-0.state:5080), in shard order: user (m, u) lives on
    /// shard <c>ShardHash.ShardOf((m, u), Shards.Count)</c>. The order is part of the data layout: changing the list
    /// requires an offline re-shard (state-store/README.md). Required.</summary>
    public IList<string> Shards { get; set; } = [];

    /// <summary>Deadline of each call. Default 5 s.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest message sent or received, bytes. Default 64 MiB (a batch of 10,000 states of 4 KiB fits).</summary>
    public int MaxMessageBytes { get; set; } = 64 << 20;

    /// <summary>TLS trust, client certificate (mutual TLS) and bearer token for https:// shards (section
    /// "StateStoreClient:Security"); see <see cref="ClientSecurityOptions"/>. Default: none.</summary>
    public ClientSecurityOptions Security { get; set; } = new();

    /// <summary>The user state record format sent with writes: 2 (default) or 1, which shards from before format 2
    /// accept (they refuse format 2 with INVALID_ARGUMENT). What a shard stores and answers is its own
    /// <see cref="StateStoreOptions.WriteRecordFormat"/>; this matters only while such shards still serve.</summary>
    public int WriteRecordFormat { get; set; } = UserStateSerializer.FormatVersion;

    /// <summary>Returns every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Shards.Count == 0)
            errors.Add("Shards is empty; list at least one shard address");
        for (int i = 0; i < Shards.Count; i++)
        {
            if (!Uri.TryCreate(Shards[i], UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                errors.Add($"Shards[{i}] is '{Shards[i]}'; it must be an absolute http:// or https:// address");
        }
        if (Shards.Distinct(StringComparer.OrdinalIgnoreCase).Count() != Shards.Count)
            errors.Add("Shards lists an address twice");
        if (CallTimeout <= TimeSpan.Zero)
            errors.Add($"CallTimeout is {CallTimeout}; it must be positive");
        if (MaxMessageBytes < 1 << 16)
            errors.Add($"MaxMessageBytes is {MaxMessageBytes}; at least 65536");
        if (WriteRecordFormat < UserStateSerializer.OldestFormatVersion || WriteRecordFormat > UserStateSerializer.FormatVersion)
            errors.Add($"WriteRecordFormat is {WriteRecordFormat}; allowed {UserStateSerializer.OldestFormatVersion} or {UserStateSerializer.FormatVersion}");
        errors.AddRange(Security.Validate("Security:"));
        if ((Security.CaFile.Length > 0 || Security.CertificateFile.Length > 0) && Shards.Any(s => s.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
            errors.Add("Security sets TLS files but a shard address is http://; use https:// addresses");
        return errors;
    }
}

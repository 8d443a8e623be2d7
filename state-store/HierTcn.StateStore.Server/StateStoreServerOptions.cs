using System.Globalization;

namespace HierTcn.StateStore.Server;

/// <summary>Server settings (section "StateStoreServer"); the engine's own settings are the "StateStore" section
/// (<see cref="StateStoreOptions"/>).</summary>
public sealed class StateStoreServerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "StateStoreServer";

    /// <summary>Port of the Prometheus /metrics endpoint (HTTP/1.1, separate from the gRPC port because cleartext
    /// HTTP/2 needs a port of its own). Default 9464; 0 disables it.</summary>
    public int MetricsPort { get; set; } = 9464;

    /// <summary>Interface the metrics endpoint binds. Default "+" (all interfaces); tests use 127.0.0.1.</summary>
    public string MetricsHostname { get; set; } = "+";

    /// <summary>Most keys or states in one BatchGet or BatchPut. Default 10,000.</summary>
    public int MaxBatchItems { get; set; } = 10_000;

    /// <summary>Largest gRPC message received, bytes. Default 64 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 64 << 20;

    /// <summary>Writes of one Apply stream processed at once. Default 64.</summary>
    public int ApplyConcurrency { get; set; } = 64;

    /// <summary>This shard's position in the clients' shard list (0-based). Default 0. The shard refuses, with
    /// FAILED_PRECONDITION, every key that <c>ShardHash.ShardOf(key, ShardCount)</c> does not map to it, so a client
    /// with a wrong or reordered shard list fails loudly instead of scattering users.</summary>
    public int ShardIndex { get; set; }

    /// <summary>Number of shards in the clients' shard list. Default 1 (a single shard owns every key).</summary>
    public int ShardCount { get; set; } = 1;

    /// <summary>The name of this shard's StatefulSet pod (<c>SET-ORDINAL</c>), which the chart passes from the
    /// downward API (the image has no shell to compute an index with). When set, the shard index is its ordinal
    /// (<see cref="EffectiveShardIndex"/>) and <see cref="ShardIndex"/> must be left at 0 or agree. Default empty:
    /// <see cref="ShardIndex"/> alone decides.</summary>
    public string PodName { get; set; } = "";

    /// <summary>The shard index in force: the ordinal at the end of <see cref="PodName"/> when it is set, else
    /// <see cref="ShardIndex"/>.</summary>
    public int EffectiveShardIndex => PodOrdinal() ?? ShardIndex;

    /// <summary>Returns every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MetricsPort is < 0 or > 65535)
            errors.Add($"{Section}:MetricsPort is {MetricsPort}; allowed 0..65535");
        if (string.IsNullOrWhiteSpace(MetricsHostname))
            errors.Add($"{Section}:MetricsHostname is empty");
        if (MaxBatchItems < 1)
            errors.Add($"{Section}:MaxBatchItems is {MaxBatchItems}; at least 1");
        if (MaxMessageBytes < 1 << 16)
            errors.Add($"{Section}:MaxMessageBytes is {MaxMessageBytes}; at least 65536");
        if (ShardCount < 1)
            errors.Add($"{Section}:ShardCount is {ShardCount}; at least 1");
        string source = "ShardIndex";
        if (!string.IsNullOrEmpty(PodName))
        {
            if (PodOrdinal() is not { } ordinal)
                errors.Add($"{Section}:PodName is '{PodName}'; it must end in -ORDINAL (a StatefulSet pod's name)");
            else if (ShardIndex != 0 && ShardIndex != ordinal)
                errors.Add($"{Section}:ShardIndex is {ShardIndex} but the ordinal of {Section}:PodName '{PodName}' is {ordinal}; set one of them");
            source = $"ShardIndex (the ordinal of PodName '{PodName}')";
        }
        if (EffectiveShardIndex < 0 || EffectiveShardIndex >= Math.Max(1, ShardCount))
            errors.Add($"{Section}:{source} is {EffectiveShardIndex}; allowed 0..{Math.Max(1, ShardCount) - 1} (ShardCount is {ShardCount})");
        if (ApplyConcurrency < 1)
            errors.Add($"{Section}:ApplyConcurrency is {ApplyConcurrency}; at least 1");
        return errors;
    }

    private int? PodOrdinal()
    {
        int dash = PodName.LastIndexOf('-');
        return dash > 0 && int.TryParse(PodName.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int ordinal)
            ? ordinal
            : null;
    }
}

using System.Text.Json.Nodes;

namespace HierTcn.Charts.Tests.Support;

/// <summary>Objects the chart refers to without rendering them, because the values name them as existing in the
/// cluster: the artifacts claim, the rclone Secret, pull secrets, the TLS, token, caller authority and RESP password Secrets, a ServiceAccount the chart does not create.</summary>
public sealed record ExternalObjects(
    IReadOnlySet<string> PersistentVolumeClaims,
    IReadOnlySet<string> Secrets,
    IReadOnlySet<string> ConfigMaps,
    IReadOnlySet<string> ServiceAccounts)
{
    public static ExternalObjects None { get; } = new(new HashSet<string>(), new HashSet<string>(), new HashSet<string>(), new HashSet<string>());

    /// <summary>What the chart's values (merged as helm merges them) name as existing outside the release.</summary>
    public static ExternalObjects FromValues(JsonObject values)
    {
        var claims = new HashSet<string>(StringComparer.Ordinal);
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        var accounts = new HashSet<string>(StringComparer.Ordinal);
        var artifacts = values["artifacts"]!;
        string mode = artifacts["mode"]!.GetValue<string>();
        if (mode == "volume" && Text(artifacts["volume"]?["existingClaim"]) is { Length: > 0 } claim)
            claims.Add(claim);
        if (mode == "sync" && Text(artifacts["sync"]?["configSecret"]) is { Length: > 0 } secret)
            secrets.Add(secret);
        foreach (var pull in values["imagePullSecrets"]?.AsArray() ?? [])
        {
            if (Text(pull?["name"]) is { Length: > 0 } name)
                secrets.Add(name);
        }
        // TLS and token Secrets (cert-manager's or the operator's) are named, never rendered, by the chart.
        if (values["tls"]?["enabled"]?.GetValue<bool>() == true)
        {
            foreach (string key in new[] { "inferenceSecret", "stateStoreSecret", "inferenceClientSecret" })
            {
                if (Text(values["tls"]?[key]) is { Length: > 0 } name)
                    secrets.Add(name);
            }
        }
        if (values["auth"]?["enabled"]?.GetValue<bool>() == true)
        {
            if (Text(values["auth"]?["tokensSecret"]) is { Length: > 0 } tokens)
                secrets.Add(tokens);
            if (Text(values["auth"]?["clientCertificates"]?["caSecret"]) is { Length: > 0 } callersCa)
                secrets.Add(callersCa);
        }
        // The RESP cluster's password Secret is the operator's too.
        if (Text(values["stateStore"]?["engine"]) is "garnet" or "redis" && Text(values["stateStore"]?["resp"]?["passwordSecret"]) is { Length: > 0 } password)
            secrets.Add(password);
        if (values["serviceAccount"]?["create"]?.GetValue<bool>() == false)
            accounts.Add(Text(values["serviceAccount"]?["name"]) is { Length: > 0 } account ? account : "default");
        return new ExternalObjects(claims, secrets, new HashSet<string>(), accounts);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}

using HierTcn.Charts.Tests.Support;
using HierTcn.Inference;
using HierTcn.Inference.Server;
using HierTcn.Security;
using HierTcn.Security.Server;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Server;

namespace HierTcn.Charts.Tests;

/// <summary>Every configuration key the templates give the servers binds to a property of the options class that
/// reads it, so a renamed option cannot silently fall back to its default in a pod.</summary>
public sealed class ServerConfigurationTests
{
    private static readonly Dictionary<string, Type> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        ["StateStore"] = typeof(StateStoreOptions),
        ["StateStoreServer"] = typeof(StateStoreServerOptions),
        ["Recommender"] = typeof(RecommenderOptions),
        ["RecommenderServer"] = typeof(RecommenderServerOptions),
        ["StateStoreClient"] = typeof(RemoteStateStoreOptions),
        ["StateStoreClient__Resp"] = typeof(RespStateStoreOptions),
        ["Tls"] = typeof(ServerTlsOptions),
        ["Auth"] = typeof(AuthOptions),
        ["RateLimits"] = typeof(RateLimitOptions),
    };

    // Kestrel's own section: the named endpoint that replaces the loopback one in the server's appsettings.json.
    private const string KestrelEndpoint = "Kestrel__Endpoints__Grpc__Url";

    // The cleartext health-only endpoint added when TLS is on (Tls:HealthPort names its port).
    private const string KestrelHealthEndpoint = "Kestrel__Endpoints__Health__Url";

    private static IReadOnlyList<ConfigurationKeys.Key> KeysIn(string template) =>
        ConfigurationKeys.Scan(File.ReadAllText(Path.Combine(ChartPaths.Templates, template)), template);

    [Fact]
    public void StateStoreStatefulSet_EveryConfigurationKey_BindsToAnOption()
    {
        var keys = KeysIn("state-statefulset.yaml");
        Assert.Contains(keys, k => k.Name == "StateStore__DataDirectory");
        Assert.True(keys.Count >= 7, $"only {keys.Count} configuration keys found");
        var problems = keys.Select(k => (k, problem: ConfigurationKeys.Problem(k.Name, Sections)))
            .Where(p => p.problem is not null)
            .Select(p => $"templates/{p.k.File}:{p.k.Line}: {p.k.Name}: {p.problem}")
            .ToList();
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void InferenceConfigMap_EveryConfigurationKey_BindsToAnOption()
    {
        var keys = KeysIn("inference-configmap.yaml");
        foreach (string required in new[] { "RecommenderServer__ExperimentFile", "RecommenderServer__ExperimentFilePollInterval",
                     "Recommender__BundlesDirectory", "Recommender__SnapshotsDirectory", "RecommenderServer__StateStoreMode",
                     "StateStoreClient__Shards__0", "StateStoreClient__Resp__Endpoints__0", "StateStoreClient__Resp__WaitForReplicas", KestrelEndpoint })
            Assert.Contains(keys, k => k.Name == required);
        var problems = keys.Where(k => k.Name is not (KestrelEndpoint or KestrelHealthEndpoint))
            .Select(k => (k, problem: ConfigurationKeys.Problem(k.Name, Sections)))
            .Where(p => p.problem is not null)
            .Select(p => $"templates/{p.k.File}:{p.k.Line}: {p.k.Name}: {p.problem}")
            .ToList();
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void InferenceServerAppsettings_NamesTheEndpointTheChartReplaces()
    {
        // The chart overrides Kestrel:Endpoints:Grpc:Url; if appsettings.json named its endpoint otherwise, a pod
        // would listen on both, one of them loopback only.
        string appsettings = File.ReadAllText(Path.Combine(ChartPaths.RepositoryRoot, "inference", "HierTcn.Inference.Server", "appsettings.json"));
        var endpoints = System.Text.Json.Nodes.JsonNode.Parse(appsettings)!["Kestrel"]!["Endpoints"]!.AsObject();
        Assert.Equal(["Grpc"], endpoints.Select(e => e.Key));
    }

    [Theory]
    [InlineData("StateStore__DataDirectry", "StateStoreOptions has no property 'DataDirectry'")]
    [InlineData("StateStore__DataDirectory__0", "'StateStore__DataDirectory' is not a list, so index 0 binds to nothing")]
    [InlineData("Stat__DataDirectory", "section 'Stat' is not one the servers read")]
    [InlineData("StateStoreClient__Resp__Shards__0", "RespStateStoreOptions has no property 'Shards'")]
    public void Problem_MisspelledKey_Explained(string key, string expected)
    {
        Assert.Equal(expected, ConfigurationKeys.Problem(key, Sections));
    }

    [Fact]
    public void Scan_EnvNamesAndDataKeysWithTemplateIndexes_Found()
    {
        const string text = """
              Recommender__Models__{{ $i }}__Version: {{ $v.name | quote }}
                - name: StateStore__DataDirectory
                  value: /data
              plain: value
            """;
        Assert.Equal(["Recommender__Models__0__Version", "StateStore__DataDirectory"], ConfigurationKeys.Scan(text, "t").Select(k => k.Name));
    }
}

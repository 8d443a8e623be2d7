using System.Text.Json.Nodes;
using HierTcn.Charts.Tests.Support;

namespace HierTcn.Charts.Tests;

/// <summary>values.yaml and the example overrides against values.schema.json, the way helm checks them (overrides
/// merged over the defaults first), and the schema's refusals of bad values files.</summary>
public sealed class ValuesSchemaTests
{
    private static readonly ValuesSchema Schema = ValuesSchema.Load(ChartPaths.Schema);
    private static readonly JsonObject Defaults = YamlValues.Load(ChartPaths.Values);

    [Fact]
    public void DefaultValues_AgainstSchema_Valid()
    {
        var problems = Schema.Check(Defaults);
        Assert.True(problems.Count == 0, "values.yaml:\n" + string.Join('\n', problems));
    }

    [Theory]
    [InlineData("values-cpu.yaml")]
    [InlineData("values-gpu.yaml")]
    public void ExampleOverride_MergedOverDefaults_Valid(string file)
    {
        var overrides = YamlValues.Load(ChartPaths.ExampleOverride(file));
        Assert.NotEmpty(overrides);
        var problems = Schema.Check(YamlValues.Merge(Defaults, overrides));
        Assert.True(problems.Count == 0, file + ":\n" + string.Join('\n', problems));
    }

    [Fact]
    public void ExampleOverrides_GpuAndCpu_DifferWhereTheyShould()
    {
        var cpu = YamlValues.Merge(Defaults, YamlValues.Load(ChartPaths.ExampleOverride("values-cpu.yaml")));
        var gpu = YamlValues.Merge(Defaults, YamlValues.Load(ChartPaths.ExampleOverride("values-gpu.yaml")));
        Assert.False(cpu["inference"]!["gpu"]!["enabled"]!.GetValue<bool>());
        Assert.True(gpu["inference"]!["gpu"]!["enabled"]!.GetValue<bool>());
        Assert.EndsWith("-cuda", gpu["inference"]!["image"]!["tag"]!.GetValue<string>());
        Assert.NotEmpty(gpu["inference"]!["tolerations"]!.AsArray());
        // The CPU example shows the 90/10 split of a rollout in progress.
        var weights = cpu["models"]!["versions"]!.AsArray().Select(v => v!["weight"]!.GetValue<long>()).ToArray();
        Assert.Equal([90L, 10L], weights);
    }

    [Fact]
    public void BadValues_WrongType_RejectedNamingPathAndType()
    {
        var problems = CheckBadFile("bad-wrong-type.yaml");
        var problem = Assert.Single(problems);
        Assert.Equal("/inference/replicaCount: Value is \"string\" but should be \"integer\"", problem);
    }

    [Fact]
    public void BadValues_UnknownKey_RejectedNamingTheKey()
    {
        var problems = CheckBadFile("bad-unknown-key.yaml");
        var problem = Assert.Single(problems);
        Assert.Equal("/inference/replicas: unknown key 'replicas': the chart declares no such value (values.yaml lists them all)", problem);
    }

    [Fact]
    public void BadValues_NegativeReplicaCount_RejectedWithTheMinimum()
    {
        var problems = CheckBadFile("bad-negative-replicas.yaml");
        var problem = Assert.Single(problems);
        Assert.Equal("/inference/replicaCount: -1 should be at least 0", problem);
    }

    [Theory]
    [InlineData("stateStore:\n  shards: 0\n", "/stateStore/shards")]
    [InlineData("models:\n  versions: []\n", "/models/versions")]
    [InlineData("models:\n  versions:\n    - name: v1\n      weight: -5\n", "/models/versions/0/weight")]
    [InlineData("artifacts:\n  mode: ftp\n", "/artifacts/mode")]
    [InlineData("podSecurityContext:\n  runAsNonRoot: false\n", "/podSecurityContext/runAsNonRoot")]
    [InlineData("inference:\n  grpcPort: 70000\n", "/inference/grpcPort")]
    [InlineData("inference:\n  resources:\n    limits:\n      memory: lots\n", "/inference/resources/limits/memory")]
    public void BadValues_OtherMistakes_RejectedAtTheirPath(string yaml, string path)
    {
        var problems = Schema.Check(YamlValues.Merge(Defaults, YamlValues.Parse(yaml, "inline")));
        Assert.Contains(problems, p => p.StartsWith(path + ":", StringComparison.Ordinal));
    }

    [Fact]
    public void Schema_EveryObjectWithProperties_ClosedAndRequiringItsKeys()
    {
        var schema = JsonNode.Parse(File.ReadAllText(ChartPaths.Schema))!.AsObject();
        Assert.Equal("http://json-schema.org/draft-07/schema#", schema["$schema"]!.GetValue<string>());
        var open = new List<string>();
        Walk(schema, "#", open);
        Assert.True(open.Count == 0, "objects that accept unknown keys:\n" + string.Join('\n', open));
    }

    private static void Walk(JsonNode? node, string path, List<string> open)
    {
        if (node is JsonObject obj)
        {
            if (obj["properties"] is JsonObject && !(obj["additionalProperties"] is JsonValue closed && !closed.GetValue<bool>()))
                open.Add(path);
            foreach (var (key, child) in obj)
                Walk(child, path + "/" + key, open);
        }
        else if (node is JsonArray array)
        {
            for (int i = 0; i < array.Count; i++)
                Walk(array[i], $"{path}/{i}", open);
        }
    }

    private static IReadOnlyList<string> CheckBadFile(string name)
    {
        var overrides = YamlValues.Load(ChartPaths.TestData(name));
        return Schema.Check(YamlValues.Merge(Defaults, overrides));
    }
}

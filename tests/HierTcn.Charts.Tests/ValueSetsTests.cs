using System.Text.Json.Nodes;
using HierTcn.Charts.Tests.Support;

namespace HierTcn.Charts.Tests;

/// <summary>TestData/value-sets.yaml, the list ChartRenderTests renders: well-formed, valid against the values schema,
/// and covering every value that changes which objects render. Needs no helm.</summary>
public sealed class ValueSetsTests
{
    private static readonly ValuesSchema Schema = ValuesSchema.Load(ChartPaths.Schema);

    private static IEnumerable<JsonObject> RenderingValues =>
        ValueSets.All.Where(s => s.Fails is null).Select(s => s.MergedValues(ChartPaths.Chart));

    [Fact]
    public void ValueSets_Rendering_AtLeastSixAndValidAgainstSchema()
    {
        var rendering = ValueSets.All.Where(s => s.Fails is null).ToList();
        Assert.True(rendering.Count >= 6, $"only {rendering.Count} value sets render");
        Assert.Contains(ValueSets.All, s => s.Fails is not null);
        foreach (var set in rendering)
        {
            var problems = Schema.Check(set.MergedValues(ChartPaths.Chart));
            Assert.True(problems.Count == 0, $"value set {set.Name}:\n" + string.Join('\n', problems));
        }
    }

    [Fact]
    public void ValueSets_EveryTemplateSwitch_TakesBothValues()
    {
        // A template whose whole text sits under `if .Values.x` renders or not with x: both cases must be rendered.
        var switches = TemplateSwitches.Find(ChartPaths.Templates).Values
            .Append("inference.gpu.enabled")
            .Distinct()
            .ToList();
        Assert.Contains("networkPolicy.enabled", switches);
        Assert.Contains("serviceMonitor.enabled", switches);
        Assert.Contains("monitoring.prometheusRule.enabled", switches);
        foreach (string path in switches)
        {
            var seen = RenderingValues.Select(v => Lookup(v, path)?.GetValue<bool>()).Distinct().ToList();
            Assert.True(seen.Contains(true) && seen.Contains(false), $"{path}: the value sets render it only as {string.Join(", ", seen)}");
        }
    }

    [Fact]
    public void ValueSets_ArtifactModesAndShardCounts_AllCovered()
    {
        var modes = RenderingValues.Select(v => Lookup(v, "artifacts.mode")!.GetValue<string>()).ToHashSet();
        Assert.Equal(["sync", "volume"], modes.Order());
        var shards = RenderingValues.Select(v => Lookup(v, "stateStore.shards")!.GetValue<long>()).ToHashSet();
        Assert.Contains(1L, shards);
        Assert.True(shards.Count >= 3, $"shard counts rendered: {string.Join(", ", shards)}");
    }

    [Fact]
    public void Load_SetWithBothKindsAndFails_Refused()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "sets.yaml");
        File.WriteAllText(path, "sets:\n  - name: x\n    kinds: {Service: 1}\n    fails: boom\n");
        var e = Assert.Throws<InvalidDataException>(() => ValueSets.Load(path));
        Assert.Contains("set x needs exactly one of 'kinds' and 'fails'", e.Message);
        File.WriteAllText(path, "sets:\n  - name: x\n    kind: {Service: 1}\n");
        e = Assert.Throws<InvalidDataException>(() => ValueSets.Load(path));
        Assert.Contains("set x: unknown key 'kind'", e.Message);
    }

    private static JsonNode? Lookup(JsonObject values, string path)
    {
        JsonNode? node = values;
        foreach (string part in path.Split('.'))
            node = node?[part];
        return node;
    }
}

using System.Text.Json.Nodes;

namespace HierTcn.Charts.Tests.Support;

/// <summary>One named way to render the chart (TestData/value-sets.yaml): values files and inline overrides, and
/// either the objects it must render or the error it must stop with.</summary>
public sealed record ValueSet(
    string Name,
    string Release,
    IReadOnlyList<string> Files,
    JsonObject Values,
    IReadOnlyDictionary<string, int>? Kinds,
    string? Fails)
{
    public const string Namespace = "recs";

    /// <summary>The values helm renders with: values.yaml, then the files, then the inline overrides.</summary>
    public JsonObject MergedValues(string chartDirectory)
    {
        var merged = YamlValues.Load(Path.Combine(chartDirectory, "values.yaml"));
        foreach (string file in Files)
            merged = YamlValues.Merge(merged, YamlValues.Load(Path.Combine(chartDirectory, file)));
        return YamlValues.Merge(merged, Values);
    }

    /// <summary>helm's -f arguments for this set; the inline overrides are written under <paramref name="scratch"/>.</summary>
    public IEnumerable<string> ValuesArguments(string chartDirectory, string scratch)
    {
        foreach (string file in Files)
        {
            yield return "-f";
            yield return Path.Combine(chartDirectory, file);
        }
        if (Values.Count > 0)
        {
            // JSON is YAML: helm reads the overrides with the types the set file gave them.
            string inline = Path.Combine(scratch, Name + ".values.yaml");
            File.WriteAllText(inline, Values.ToJsonString());
            yield return "-f";
            yield return inline;
        }
    }

    public override string ToString() => Name;
}

using System.Text.Json.Nodes;

namespace HierTcn.Charts.Tests.Support;

/// <summary>The value sets of TestData/value-sets.yaml.</summary>
public static class ValueSets
{
    private static readonly Lazy<IReadOnlyList<ValueSet>> s_all = new(() => Load(ChartPaths.TestData("value-sets.yaml")));

    public static IReadOnlyList<ValueSet> All => s_all.Value;

    public static ValueSet Named(string name) => All.Single(s => s.Name == name);

    /// <summary>Names of the sets that render, for a theory's MemberData.</summary>
    public static TheoryData<string> Rendering => Names(s => s.Fails is null);

    /// <summary>Names of the sets that must stop with an error, for a theory's MemberData.</summary>
    public static TheoryData<string> Failing => Names(s => s.Fails is not null);

    public static IReadOnlyList<ValueSet> Load(string path)
    {
        var root = YamlValues.Load(path);
        var sets = new List<ValueSet>();
        foreach (var node in root["sets"]?.AsArray() ?? throw new InvalidDataException($"{path}: no 'sets' list"))
        {
            var set = node!.AsObject();
            string name = set["name"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: a set without a name");
            foreach (var (key, _) in set)
            {
                if (key is not ("name" or "release" or "files" or "values" or "kinds" or "fails"))
                    throw new InvalidDataException($"{path}: set {name}: unknown key '{key}'");
            }
            var kinds = set["kinds"]?.AsObject().ToDictionary(kv => kv.Key, kv => (int)kv.Value!.GetValue<long>());
            string? fails = set["fails"]?.GetValue<string>();
            if ((kinds is null) == (fails is null))
                throw new InvalidDataException($"{path}: set {name} needs exactly one of 'kinds' and 'fails'");
            sets.Add(new ValueSet(
                name,
                set["release"]?.GetValue<string>() ?? "recs",
                set["files"]?.AsArray().Select(f => f!.GetValue<string>()).ToList() ?? [],
                (JsonObject?)set["values"]?.DeepClone() ?? [],
                kinds,
                fails));
        }
        var duplicate = sets.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidDataException($"{path}: set name '{duplicate.Key}' used twice");
        return sets;
    }

    private static TheoryData<string> Names(Func<ValueSet, bool> which)
    {
        var data = new TheoryData<string>();
        foreach (var set in All.Where(which))
            data.Add(set.Name);
        return data;
    }
}

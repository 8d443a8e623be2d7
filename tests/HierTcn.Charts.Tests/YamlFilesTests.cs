using System.Text.Json.Nodes;
using HierTcn.Charts.Tests.Support;

namespace HierTcn.Charts.Tests;

/// <summary>Every YAML file under charts/ that is not a template (templates are Go text/template, not YAML, until
/// helm renders them) is well-formed YAML; values.schema.json is well-formed JSON; Chart.yaml has what helm needs.</summary>
public sealed class YamlFilesTests
{
    public static TheoryData<string> NonTemplateYamlFiles() => new(FindNonTemplateYamlFiles());

    private static string[] FindNonTemplateYamlFiles() =>
        Directory.EnumerateFiles(ChartPaths.ChartsDirectory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}templates{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(ChartPaths.ChartsDirectory, f))
            .Order(StringComparer.Ordinal)
            .ToArray();

    [Theory]
    [MemberData(nameof(NonTemplateYamlFiles))]
    public void NonTemplateYaml_Parses(string relativePath)
    {
        var values = YamlValues.Load(Path.Combine(ChartPaths.ChartsDirectory, relativePath));
        Assert.NotEmpty(values);
    }

    [Fact]
    public void NonTemplateYamlFiles_AllFound()
    {
        var files = FindNonTemplateYamlFiles();
        Assert.Contains(Path.Combine("hiertcn", "Chart.yaml"), files);
        Assert.Contains(Path.Combine("hiertcn", "values.yaml"), files);
        Assert.Contains(Path.Combine("hiertcn", "values-cpu.yaml"), files);
        Assert.Contains(Path.Combine("hiertcn", "values-gpu.yaml"), files);
    }

    [Fact]
    public void ChartYaml_HasApiVersionNameVersion()
    {
        var chart = YamlValues.Load(Path.Combine(ChartPaths.Chart, "Chart.yaml"));
        Assert.Equal("v2", chart["apiVersion"]!.GetValue<string>());
        Assert.Equal("hiertcn", chart["name"]!.GetValue<string>());
        Assert.Matches(@"^\d+\.\d+\.\d+$", chart["version"]!.GetValue<string>());
    }

    [Fact]
    public void Schema_IsWellFormedJson()
    {
        var node = JsonNode.Parse(File.ReadAllText(ChartPaths.Schema));
        Assert.Equal("object", node!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Parse_BrokenYaml_ErrorNamesFileAndLine()
    {
        var error = Assert.Throws<InvalidDataException>(() => YamlValues.Parse("a:\n  b: 1\n c: [unclosed\n", "broken.yaml"));
        Assert.StartsWith("broken.yaml:3:", error.Message);
    }
}

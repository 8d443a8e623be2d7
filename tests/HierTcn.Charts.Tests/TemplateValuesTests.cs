using HierTcn.Charts.Tests.Support;

namespace HierTcn.Charts.Tests;

/// <summary>The templates read only values that values.yaml declares, and every declared value is read by some
/// template (directly, or as part of a block the template passes whole, such as <c>.Values.podSecurityContext</c>).
/// Found by scanning the template text; no template is rendered.</summary>
public sealed class TemplateValuesTests
{
    private static readonly IReadOnlyList<ValuesKeys.Key> Keys = ValuesKeys.Read(File.ReadAllText(ChartPaths.Values));
    private static readonly IReadOnlyList<TemplateScanner.Reference> References = TemplateScanner.ScanChart(ChartPaths.Templates);

    [Fact]
    public void Templates_EveryValuesPathRead_IsDeclaredInValuesYaml()
    {
        Assert.True(References.Count > 100, $"only {References.Count} .Values reads found in the templates");
        var undeclared = References.Where(r => !ValuesKeys.Declares(Keys, r.Path.TrimStart('.')))
            .Select(r => $"templates/{r.File}:{r.Line}: .Values{r.Path} is not declared in values.yaml")
            .ToList();
        Assert.True(undeclared.Count == 0, string.Join('\n', undeclared));
    }

    [Fact]
    public void ValuesYaml_EveryLeaf_IsReadBySomeTemplate()
    {
        var read = References.Select(r => r.Path.TrimStart('.')).ToHashSet(StringComparer.Ordinal);
        var unread = Keys.Where(k => k.IsLeaf)
            .Where(k => !Prefixes(k.Path).Any(read.Contains))
            .Select(k => $"values.yaml:{k.Line}: {k.Path} is declared but no template reads it")
            .ToList();
        Assert.True(unread.Count == 0, string.Join('\n', unread));
    }

    [Fact]
    public void Scan_UndeclaredPath_Reported()
    {
        const string template = """
            replicas: {{ .Values.inference.replicaCount }}
            image: {{ $.Values.inference.image.repository }}:{{ .Values.inference.imageTag }}
            """;
        var references = TemplateScanner.Scan(template, "t.yaml");
        Assert.Equal([".inference.replicaCount", ".inference.image.repository", ".inference.imageTag"], references.Select(r => r.Path));
        var undeclared = references.Where(r => !ValuesKeys.Declares(Keys, r.Path.TrimStart('.'))).ToList();
        var single = Assert.Single(undeclared);
        Assert.Equal(2, single.Line);
    }

    private static IEnumerable<string> Prefixes(string path)
    {
        for (int i = path.Length; i > 0; i = path.LastIndexOf('.', i - 1))
            yield return path[..i];
    }
}

using HierTcn.Charts.Tests.Support;

namespace HierTcn.Charts.Tests;

/// <summary>The templates' control blocks balance (a structural check; nothing is rendered).</summary>
public sealed class TemplateBlocksTests
{
    public static TheoryData<string> Templates() =>
        new(Directory.EnumerateFiles(ChartPaths.Templates).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_ControlBlocks_Balanced(string file)
    {
        var problems = TemplateBlocks.Check(File.ReadAllText(Path.Combine(ChartPaths.Templates, file)));
        Assert.True(problems.Count == 0, $"templates/{file}:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void Check_LostEndAndStrayEnd_Reported()
    {
        const string template = """
            {{- if .Values.a }}
            {{- range .Values.b }}
            x
            {{- end }}
            {{/* a comment with if in it */}}
            """;
        Assert.Equal(["line 1: 'if' has no 'end'"], TemplateBlocks.Check(template));
        Assert.Equal(["line 1: 'end' closes nothing"], TemplateBlocks.Check("{{ end }}"));
        Assert.Equal(["line 2: '{{' is never closed"], TemplateBlocks.Check("a\n{{ .Values.x "));
    }
}

using HierTcn.Charts.Tests.Support;

namespace HierTcn.Charts.Tests;

/// <summary>Every key of values.yaml carries a `# --` comment (the helm-docs convention, STYLE.md).</summary>
public sealed class ValuesDocumentationTests
{
    [Fact]
    public void ValuesYaml_EveryKey_HasDashDashComment()
    {
        var keys = ValuesKeys.Read(File.ReadAllText(ChartPaths.Values));
        Assert.True(keys.Count > 80, $"only {keys.Count} keys read from values.yaml");
        var undocumented = keys.Where(k => k.CommentBlockFirstLine is null || !k.CommentBlockFirstLine.StartsWith("# -- ", StringComparison.Ordinal))
            .Select(k => $"values.yaml:{k.Line}: {k.Path} has no '# --' comment directly above it")
            .ToList();
        Assert.True(undocumented.Count == 0, string.Join('\n', undocumented));
    }

    [Fact]
    public void CommentCheck_KeyWithoutComment_Reported()
    {
        const string yaml = """
            # -- Documented.
            a: 1
            # A plain comment is not a `# --` one.
            b: 2

            # -- Separated by a blank line, so it does not belong to c.

            c:
              # -- Documented child.
              d: 3
              e: 4
            """;
        var keys = ValuesKeys.Read(yaml);
        var undocumented = keys.Where(k => k.CommentBlockFirstLine?.StartsWith("# -- ", StringComparison.Ordinal) != true).Select(k => k.Path);
        Assert.Equal(["b", "c", "c.e"], undocumented);
    }
}

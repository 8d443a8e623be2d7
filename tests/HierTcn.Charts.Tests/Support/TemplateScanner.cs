using System.Text.RegularExpressions;

namespace HierTcn.Charts.Tests.Support;

/// <summary>The values paths a template reads, found by a regex over its text (<c>.Values.a.b</c>, also as
/// <c>$.Values.a.b</c>); no template is rendered. Reads through a <c>with</c> or <c>range</c> variable are not seen,
/// which is why the chart's templates spell out full paths.</summary>
public static partial class TemplateScanner
{
    public sealed record Reference(string Path, string File, int Line);

    public static IReadOnlyList<Reference> Scan(string text, string file)
    {
        var found = new List<Reference>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            foreach (Match match in ValuesPath().Matches(lines[i]))
                found.Add(new Reference(match.Groups[1].Value, file, i + 1));
        }
        return found;
    }

    public static IReadOnlyList<Reference> ScanChart(string templatesDirectory) =>
        Directory.EnumerateFiles(templatesDirectory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".tpl", StringComparison.Ordinal) || f.EndsWith(".txt", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal)
            .SelectMany(f => Scan(File.ReadAllText(f), Path.GetRelativePath(templatesDirectory, f)))
            .ToList();

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")]
    private static partial Regex ValuesPath();
}

using System.Text.RegularExpressions;
using System.Xml.Linq;
using HierTcn.Formats.Snapshots;

namespace HierTcn.Formats.Tests;

/// <summary>Repository-wide build settings (STYLE.md, build hygiene): documentation comments are compiled and checked,
/// and unsafe code is allowed only in the projects that contain it.</summary>
public sealed partial class BuildSettingsTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void Build_GeneratesDocumentation_WithReferenceWarningsAsErrors()
    {
        var props = XDocument.Load(Path.Combine(Root, "Directory.Build.props"));
        string Property(string name) => props.Descendants(name).Select(e => e.Value.Trim()).LastOrDefault() ?? "";

        Assert.Equal("true", Property("GenerateDocumentationFile"));
        Assert.Equal("true", Property("TreatWarningsAsErrors"));
        // Unresolved cref (CS1574, CS1580, CS1584), wrong param/paramref names (CS1572, CS1734), bad XML (CS1570).
        string[] suppressed = Property("NoWarn").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Empty(suppressed.Intersect(["CS1570", "CS1572", "CS1574", "CS1580", "CS1584", "CS1734"]));
        // The documentation file was written next to a built assembly this test loads.
        string xml = Path.ChangeExtension(typeof(ItemSnapshot).Assembly.Location, ".xml");
        Assert.True(File.Exists(xml), $"{xml} was not generated");
        Assert.Contains("T:HierTcn.Formats.Snapshots.ItemSnapshot", File.ReadAllText(xml));
    }

    [Fact]
    public void Projects_AllowUnsafeBlocks_OnlyWhereTheirCodeIsUnsafe()
    {
        var props = XDocument.Load(Path.Combine(Root, "Directory.Build.props"));
        Assert.DoesNotContain(props.Descendants("AllowUnsafeBlocks"), e => e.Value.Trim() == "true");

        var projects = Directory.EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !IsBuildOutput(p)).ToList();
        Assert.NotEmpty(projects);
        var wrong = new List<string>();
        int unsafeProjects = 0;
        foreach (string project in projects)
        {
            bool allows = XDocument.Load(project).Descendants("AllowUnsafeBlocks").Any(e => e.Value.Trim() == "true");
            bool uses = Directory.EnumerateFiles(Path.GetDirectoryName(project)!, "*.cs", SearchOption.AllDirectories)
                .Where(f => !IsBuildOutput(f))
                .Any(f => File.ReadLines(f).Any(IsUnsafeCode));
            unsafeProjects += uses ? 1 : 0;
            if (allows != uses)
            {
                wrong.Add($"{Path.GetRelativePath(Root, project)}: AllowUnsafeBlocks {allows}, unsafe code {uses}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
        Assert.True(unsafeProjects > 0, "no project found with unsafe code: the scan is not looking at the sources");
    }

    /// <summary>The keyword, or a [LibraryImport] (its generated marshalling is unsafe code), on a line of code:
    /// comments and string literals do not count.</summary>
    private static bool IsUnsafeCode(string line) =>
        !line.TrimStart().StartsWith("//", StringComparison.Ordinal) && UnsafeKeyword().IsMatch(StringLiteral().Replace(line, ""));

    private static bool IsBuildOutput(string path)
    {
        string sep = Path.DirectorySeparatorChar.ToString();
        return path.Contains($"{sep}obj{sep}", StringComparison.Ordinal) || path.Contains($"{sep}bin{sep}", StringComparison.Ordinal);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HierTcn.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"HierTcn.sln not found above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"\bunsafe\b|\[LibraryImport\(")]
    private static partial Regex UnsafeKeyword();

    [GeneratedRegex("@?\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();
}

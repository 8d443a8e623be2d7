using System.Text.RegularExpressions;

namespace HierTcn.Charts.Tests.Support;

/// <summary>The values that decide whether a template renders at all: a template whose whole text sits under a
/// leading <c>{{- if .Values.x }}</c>.</summary>
public static partial class TemplateSwitches
{
    /// <summary>Template file name (as in helm's "# Source: chart/templates/NAME") to the values path of its switch.</summary>
    public static IReadOnlyDictionary<string, string> Find(string templatesDirectory) =>
        Directory.EnumerateFiles(templatesDirectory, "*.yaml")
            .Select(f => (File: Path.GetFileName(f), Match: LeadingIf().Match(File.ReadLines(f).FirstOrDefault() ?? "")))
            .Where(x => x.Match.Success)
            .ToDictionary(x => x.File, x => x.Match.Groups[1].Value);

    [GeneratedRegex(@"^\{\{-?\s*if\s+\.Values\.([A-Za-z0-9_.]+)\s*-?\}\}")]
    private static partial Regex LeadingIf();
}

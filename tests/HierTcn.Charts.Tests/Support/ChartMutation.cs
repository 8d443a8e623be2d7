using System.Text.Json.Nodes;

namespace HierTcn.Charts.Tests.Support;

/// <summary>A deliberate fault for the checks to find: one text replacement in a copy of the chart (a template or a
/// file), or extra values, or both, rendered with a value set; <see cref="Expected"/> is text one reported problem
/// must contain.</summary>
public sealed record ChartMutation(string ValueSet, string? File, string? Find, string? Replace, string? ExtraValues, string Expected)
{
    /// <summary>Copies the chart under <paramref name="directory"/>, applies the replacement (the text must occur), and
    /// returns the copy's directory and the value set to render it with.</summary>
    public (string Chart, ValueSet Set) Apply(string directory)
    {
        string chart = Path.Combine(directory, "hiertcn");
        foreach (string source in Directory.EnumerateFiles(ChartPaths.Chart, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(chart, Path.GetRelativePath(ChartPaths.Chart, source));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            System.IO.File.Copy(source, target);
        }
        if (File is not null)
        {
            string path = Path.Combine(chart, File);
            string text = System.IO.File.ReadAllText(path);
            int at = text.IndexOf(Find!, StringComparison.Ordinal);
            if (at < 0)
                throw new InvalidOperationException($"{File} no longer contains the text this mutation replaces: {Find}");
            System.IO.File.WriteAllText(path, text[..at] + Replace + text[(at + Find!.Length)..]);
        }
        var set = Support.ValueSets.Named(ValueSet);
        if (ExtraValues is not null)
            set = set with { Values = YamlValues.Merge(set.Values, YamlValues.Parse(ExtraValues, "mutation values")) };
        return (chart, set);
    }
}

using System.Text;
using System.Text.Json.Nodes;

namespace HierTcn.Charts.Tests.Support;

/// <summary>
/// The chart's Prometheus rules: files/prometheus-rules.yaml (the plain rule file), and the rule groups
/// templates/prometheusrule.yaml puts in the PrometheusRule's spec: that file as it is, plus the A/B arm block, which
/// this class renders for given model versions by substituting its few template actions (no helm here; the test
/// fails if the block holds an action it does not know).
/// </summary>
public static class RuleFiles
{
    public const string ArmsRange = "{{- range $name := $live }}";
    public const string SpecLine = "{{- .Files.Get \"files/prometheus-rules.yaml\" | nindent 2 }}";

    public static string PlainFile => Path.Combine(ChartPaths.Chart, "files", "prometheus-rules.yaml");

    public static string Template => Path.Combine(ChartPaths.Templates, "prometheusrule.yaml");

    public sealed record Rule(string Group, string? Record, string? Alert, string Expression, JsonObject Node);

    /// <summary>The rules of a rule file's text, in order.</summary>
    public static IReadOnlyList<Rule> Parse(string yaml, string name)
    {
        var root = YamlValues.Parse(yaml, name);
        var rules = new List<Rule>();
        foreach (var group in root["groups"]!.AsArray())
        {
            string groupName = group!["name"]!.GetValue<string>();
            foreach (var rule in group["rules"]!.AsArray())
            {
                var node = rule!.AsObject();
                string expression = node["expr"] is JsonValue value && value.TryGetValue(out string? text) ? text : node["expr"]!.ToJsonString();
                rules.Add(new Rule(groupName, node["record"]?.GetValue<string>(), node["alert"]?.GetValue<string>(), expression, node));
            }
        }
        return rules;
    }

    /// <summary>The rule groups the PrometheusRule of release <paramref name="release"/> (chart name hiertcn, so
    /// resources are named "RELEASE-hiertcn-...") in <paramref name="ns"/> carries for these model versions, as one
    /// rule file.</summary>
    public static string RenderTemplateGroups(IReadOnlyList<(string Name, double Weight)> versions, string release, string ns)
    {
        string[] lines = File.ReadAllLines(Template);
        if (!lines.Any(l => l.Trim() == SpecLine))
            throw new InvalidDataException($"{Template} no longer embeds the rule file with '{SpecLine}'");
        int ifLine = Array.FindIndex(lines, l => l.Trim() == "{{- if gt (len $live) 1 }}");
        int rangeLine = Array.FindIndex(lines, l => l.Trim() == ArmsRange);
        int endLine = Array.FindIndex(lines, rangeLine + 1, l => l.Trim() == "{{- end }}");
        if (ifLine < 0 || rangeLine < ifLine || endLine < 0)
            throw new InvalidDataException($"{Template}: the A/B arm block is not where the test expects it");
        var live = versions.Where(v => v.Weight > 0).Select(v => v.Name).ToList();
        var text = new StringBuilder(File.ReadAllText(PlainFile));
        if (live.Count <= 1)
            return text.ToString();
        string inference = $"{release}-hiertcn-inference";
        foreach (string line in lines[(ifLine + 1)..rangeLine])
            text.Append(Dedent(line)).Append('\n');
        foreach (string name in live)
        {
            foreach (string line in lines[(rangeLine + 1)..endLine])
            {
                string rendered = line
                    .Replace("{{ $name | quote }}", Quote(name), StringComparison.Ordinal)
                    .Replace("{{ $name }}", name, StringComparison.Ordinal)
                    .Replace("{{ $.Release.Namespace | quote }}", Quote(ns), StringComparison.Ordinal)
                    .Replace("{{ $.Release.Namespace }}", ns, StringComparison.Ordinal)
                    .Replace("{{ include \"hiertcn.inferenceName\" $ | quote }}", Quote(inference), StringComparison.Ordinal)
                    .Replace("{{ include \"hiertcn.inferenceName\" $ }}", inference, StringComparison.Ordinal);
                if (rendered.Contains("{{", StringComparison.Ordinal))
                    throw new InvalidDataException($"{Template}: the test cannot render '{line.Trim()}'");
                text.Append(Dedent(rendered)).Append('\n');
            }
        }
        return text.ToString();
    }

    // The template's groups sit under "spec:", two spaces deeper than in a rule file.
    private static string Dedent(string line) => line.StartsWith("  ", StringComparison.Ordinal) ? line[2..] : line;

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

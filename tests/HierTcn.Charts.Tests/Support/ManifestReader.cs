using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace HierTcn.Charts.Tests.Support;

/// <summary>
/// helm's rendered output, one object per YAML document, each checked against its Kubernetes API type
/// (<see cref="KubernetesTypes"/>) or, for the Prometheus Operator's kinds, against their CRD schema
/// (<see cref="CustomResourceSchema"/>). Problems name the template, the object and the field.
/// </summary>
public static partial class ManifestReader
{
    public static (IReadOnlyList<RenderedObject> Objects, IReadOnlyList<string> Problems) Read(string rendered)
    {
        var objects = new List<RenderedObject>();
        var problems = new List<string>();
        foreach (string document in DocumentSeparator().Split(rendered))
        {
            string source = SourceComment().Match(document) is { Success: true } m ? m.Groups[1].Value.Trim() : "(no # Source)";
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(document));
            }
            catch (YamlDotNet.Core.YamlException e)
            {
                problems.Add($"{source}: not well-formed YAML at line {e.Start.Line}: {e.Message}");
                continue;
            }
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
                continue;
            if (YamlValues.ToJson(stream.Documents[0].RootNode) is not JsonObject json)
            {
                problems.Add($"{source}: a document that is not a mapping");
                continue;
            }
            string apiVersion = json["apiVersion"] is JsonValue a && a.TryGetValue(out string? av) ? av : "";
            string kind = json["kind"] is JsonValue k && k.TryGetValue(out string? kv) ? kv : "";
            string name = json["metadata"]?["name"] is JsonValue n && n.TryGetValue(out string? nv) ? nv : "";
            string where = $"{source}: {kind}/{name}";
            object? model = null;
            if (CustomResourceSchema.Covers(apiVersion, kind))
            {
                problems.AddRange(CustomResourceSchema.Check(json).Select(p => $"{where}: {p}"));
                if (json["metadata"] is JsonNode metadata && KubernetesTypes.Read(metadata, typeof(V1ObjectMeta)).Problem is { } bad)
                    problems.Add($"{where}: metadata: {bad}");
            }
            else if (KubernetesTypes.ModelType(apiVersion, kind) is { } type)
            {
                (model, string? problem) = KubernetesTypes.Read(json, type);
                if (problem is not null)
                    problems.Add($"{where}: does not parse as {type.Name}: {problem}");
            }
            else
            {
                problems.Add($"{where}: apiVersion '{apiVersion}' kind '{kind}' is neither a Kubernetes API type nor a known custom resource");
            }
            objects.Add(new RenderedObject(source, apiVersion, kind, name, json, model));
        }
        return (objects, problems);
    }

    [GeneratedRegex(@"^---[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();

    [GeneratedRegex(@"^# Source: (.+)$", RegexOptions.Multiline)]
    private static partial Regex SourceComment();
}

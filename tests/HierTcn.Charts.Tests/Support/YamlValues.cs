using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HierTcn.Charts.Tests.Support;

/// <summary>
/// Values files as helm sees them: YAML read with YAML 1.1 plain-scalar typing (go-yaml v2, which helm uses: true,
/// false, yes, no, on, off are booleans; ~ and null are null; numbers are numbers; quoted scalars are strings),
/// turned into JSON, and override files merged over the defaults the way helm coalesces them (maps merge key by
/// key, anything else replaces, null deletes the key).
/// </summary>
public static partial class YamlValues
{
    /// <summary>Parses <paramref name="path"/>; a YAML error names the file, line and column.</summary>
    public static JsonObject Load(string path) => Parse(File.ReadAllText(path), Path.GetFileName(path));

    public static JsonObject Parse(string yaml, string name)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{name}:{e.Start.Line}:{e.Start.Column}: not well-formed YAML: {e.Message}", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return [];
        return ToJson(stream.Documents[0].RootNode) as JsonObject
            ?? throw new InvalidDataException($"{name}: the top level is not a mapping");
    }

    /// <summary>Merges <paramref name="overrides"/> into a copy of <paramref name="defaults"/>.</summary>
    public static JsonObject Merge(JsonObject defaults, JsonObject overrides)
    {
        var result = (JsonObject)defaults.DeepClone();
        MergeInto(result, overrides);
        return result;
    }

    private static void MergeInto(JsonObject target, JsonObject overrides)
    {
        foreach (var (key, value) in overrides)
        {
            if (value is null)
                target.Remove(key);
            else if (value is JsonObject child && target[key] is JsonObject existing)
                MergeInto(existing, child);
            else
                target[key] = value.DeepClone();
        }
    }

    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidDataException($"unsupported YAML node at line {node.Start.Line}"),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        string text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(text);
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF":
                return JsonValue.Create(false);
        }
        if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer))
            return JsonValue.Create(integer);
        if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double real))
            return JsonValue.Create(real);
        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$")]
    private static partial Regex FloatPattern();
}

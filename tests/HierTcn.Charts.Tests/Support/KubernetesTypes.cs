using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace HierTcn.Charts.Tests.Support;

/// <summary>
/// Kubernetes' API types as the KubernetesClient package models them, read strictly. The package's own
/// KubernetesYaml.Deserialize ignores unknown fields unless asked for strict mode, and even then YamlDotNet turns a
/// quoted "8080" into an int and an unquoted 1 into a string, which the API server refuses. Here the YAML is first
/// turned into the JSON the API server receives (YAML 1.1 typing, as helm and kubectl convert it), then read with
/// System.Text.Json into the model type of its apiVersion and kind, refusing unknown members at every level; a
/// number where a string belongs, or the other way round, fails as it fails on the server.
/// </summary>
public static class KubernetesTypes
{
    private static readonly JsonSerializerOptions Strict = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>"group/version/Kind" ("v1/Kind" for the core group) to the model type.</summary>
    private static readonly IReadOnlyDictionary<string, Type> Models = typeof(KubernetesEntityAttribute).Assembly
        .GetExportedTypes()
        .Select(t => (Type: t, Entity: t.GetCustomAttribute<KubernetesEntityAttribute>()))
        .Where(x => x.Entity is not null && !x.Type.IsAbstract && !x.Type.Name.EndsWith("List", StringComparison.Ordinal))
        .GroupBy(x => Key(x.Entity!.Group, x.Entity.ApiVersion, x.Entity.Kind))
        .ToDictionary(g => g.Key, g => g.First().Type);

    public static Type? ModelType(string apiVersion, string kind) => Models.GetValueOrDefault(apiVersion + "/" + kind);

    /// <summary>Reads <paramref name="json"/> into <paramref name="type"/>; on failure returns null and the reason, with
    /// the JSON path of the offending field.</summary>
    public static (object? Model, string? Problem) Read(JsonNode json, Type type)
    {
        try
        {
            return (json.Deserialize(type, Strict), null);
        }
        catch (JsonException e)
        {
            return (null, e.Message);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or InvalidOperationException or ArgumentException or OverflowException)
        {
            // A malformed quantity, or an int-or-string given something else, fails inside the model's converter.
            return (null, $"{e.Message} (in {type.Name})");
        }
    }

    private static string Key(string? group, string version, string kind) =>
        (string.IsNullOrEmpty(group) ? version : group + "/" + version) + "/" + kind;
}

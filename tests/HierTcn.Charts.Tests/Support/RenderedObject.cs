using System.Text.Json.Nodes;

namespace HierTcn.Charts.Tests.Support;

/// <summary>One object of helm's output: the template it came from, its JSON form (YAML read as the API server
/// gets it), and the Kubernetes API model it parsed into (null for custom resources and for objects that did not
/// parse).</summary>
public sealed record RenderedObject(string Source, string ApiVersion, string Kind, string Name, JsonObject Json, object? Model)
{
    public string Id => $"{Kind}/{Name}";

    public T As<T>() where T : class => (T)(Model ?? throw new InvalidOperationException($"{Id} ({Source}) did not parse"));

    public override string ToString() => $"{Id} ({Source})";
}

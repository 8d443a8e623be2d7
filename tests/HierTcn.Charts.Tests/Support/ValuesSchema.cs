using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace HierTcn.Charts.Tests.Support;

/// <summary>The chart's values.schema.json, evaluated as helm does before it renders anything.</summary>
public sealed class ValuesSchema
{
    private readonly JsonSchema _schema;

    private ValuesSchema(JsonSchema schema) => _schema = schema;

    public static ValuesSchema Load(string path) => new(JsonSchema.FromText(File.ReadAllText(path)));

    /// <summary>Every problem as "location: message", for example "/inference/replicaCount: Value should be at
    /// least 0"; empty when the values are valid.</summary>
    public IReadOnlyList<string> Check(JsonObject values)
    {
        using var document = JsonDocument.Parse(values.ToJsonString());
        var results = _schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
            return [];
        var problems = new List<string>();
        foreach (var detail in (results.Details ?? []).Prepend(results))
        {
            if (detail.Errors is null)
                continue;
            string location = detail.InstanceLocation.ToString();
            foreach (var (keyword, message) in detail.Errors)
                problems.Add($"{(location.Length == 0 ? "/" : location)}: {Readable(keyword, message, location)}");
        }
        return problems.Distinct().ToList();
    }

    // Under "additionalProperties": false an unknown key fails the false schema, whose own message does not say why.
    private static string Readable(string keyword, string message, string location) =>
        keyword == "false" || message.Contains("false schema", StringComparison.Ordinal)
            ? $"unknown key '{location[(location.LastIndexOf('/') + 1)..]}': the chart declares no such value (values.yaml lists them all)"
            : message;
}

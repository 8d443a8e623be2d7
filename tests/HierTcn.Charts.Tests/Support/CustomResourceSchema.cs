using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace HierTcn.Charts.Tests.Support;

/// <summary>The Prometheus Operator's ServiceMonitor and PrometheusRule schemas
/// (TestData/prometheus-operator-crds.schema.json, written from the published CRDs it names).</summary>
public static class CustomResourceSchema
{
    private static readonly Lazy<JsonSchema> s_schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(ChartPaths.TestData("prometheus-operator-crds.schema.json"))));

    public static bool Covers(string apiVersion, string kind) =>
        apiVersion == "monitoring.coreos.com/v1" && kind is "ServiceMonitor" or "PrometheusRule";

    /// <summary>Every problem as "location: message"; empty when the object fits the schema.</summary>
    public static IReadOnlyList<string> Check(JsonObject resource)
    {
        using var document = JsonDocument.Parse(resource.ToJsonString());
        var results = s_schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var problems = new List<string>();
        if (!results.IsValid)
        {
            foreach (var detail in (results.Details ?? []).Prepend(results))
            {
                if (detail.Errors is null)
                    continue;
                string location = detail.InstanceLocation.ToString();
                foreach (var (keyword, message) in detail.Errors)
                {
                    // Under "additionalProperties": false an unknown field fails the false schema, whose message does not say why.
                    bool unknown = keyword == "false" || message.Contains("false schema", StringComparison.Ordinal);
                    problems.Add($"{location}: {(unknown ? $"unknown field '{location[(location.LastIndexOf('/') + 1)..]}'" : message)}");
                }
            }
        }
        // groups is a list map keyed by name (x-kubernetes-list-type: map): the server refuses a repeated name.
        if (resource["spec"]?["groups"] is JsonArray groups)
        {
            foreach (var name in groups.Select(g => g?["name"]?.ToString()).GroupBy(n => n).Where(g => g.Count() > 1))
                problems.Add($"/spec/groups: rule group name '{name.Key}' appears {name.Count()} times");
        }
        return problems.Distinct().ToList();
    }
}

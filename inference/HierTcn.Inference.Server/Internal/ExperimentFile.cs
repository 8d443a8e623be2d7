using System.Globalization;
using System.Text.Json;

namespace HierTcn.Inference.Server.Internal;

/// <summary>
/// The A/B experiment file (<see cref="RecommenderServerOptions.ExperimentFile"/>, the chart's experiment ConfigMap):
/// <c>{"experimentSalt": "s", "models": [{"version": "v1", "weight": 90}, {"version": "v2", "weight": 10,
/// "snapshotsDirectory": ""}]}</c>. It replaces <c>Recommender:ExperimentSalt</c> and <c>Recommender:Models</c>.
/// </summary>
internal sealed record ExperimentFile(string Salt, IReadOnlyList<ModelArmOptions> Models)
{
    /// <summary>The experiment in <paramref name="text"/>, or null with every problem in <paramref name="error"/>.</summary>
    public static ExperimentFile? Parse(string text, out string? error)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            error = $"not JSON: {e.Message}";
            return null;
        }
        using (doc)
        {
            var problems = new List<string>();
            var root = doc.RootElement;
            string salt = "";
            var models = new List<ModelArmOptions>();
            if (root.ValueKind != JsonValueKind.Object)
            {
                problems.Add("the file is not a JSON object");
            }
            else
            {
                foreach (var p in root.EnumerateObject())
                {
                    switch (p.Name)
                    {
                        case "experimentSalt" when p.Value.ValueKind == JsonValueKind.String:
                            salt = p.Value.GetString()!;
                            break;
                        case "models" when p.Value.ValueKind == JsonValueKind.Array:
                            int i = 0;
                            foreach (var m in p.Value.EnumerateArray())
                                models.Add(Arm(m, i++, problems));
                            break;
                        default:
                            problems.Add($"unexpected key '{p.Name}' ({p.Value.ValueKind}); expected experimentSalt (a string) and models (an array)");
                            break;
                    }
                }
                if (salt.Length == 0)
                    problems.Add("experimentSalt is missing or empty");
                var check = new RecommenderOptions { BundlesDirectory = "-", SnapshotsDirectory = "-", Models = models }.Validate();
                problems.AddRange(check.Select(e => e.Replace("Models", "models", StringComparison.Ordinal)));
            }
            error = problems.Count == 0 ? null : string.Join("; ", problems);
            return error is null ? new ExperimentFile(salt, models) : null;
        }
    }

    /// <summary>The configuration keys the file stands for, as <c>Recommender:...</c> settings.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        yield return new("Recommender:ExperimentSalt", Salt);
        for (int i = 0; i < Models.Count; i++)
        {
            yield return new($"Recommender:Models:{i}:Version", Models[i].Version);
            yield return new($"Recommender:Models:{i}:Weight", Models[i].Weight.ToString("R", CultureInfo.InvariantCulture));
            yield return new($"Recommender:Models:{i}:SnapshotsDirectory", Models[i].SnapshotsDirectory);
        }
    }

    private static ModelArmOptions Arm(JsonElement m, int i, List<string> problems)
    {
        var arm = new ModelArmOptions();
        if (m.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"models[{i}] is not an object");
            return arm;
        }
        foreach (var p in m.EnumerateObject())
        {
            switch (p.Name)
            {
                case "version" when p.Value.ValueKind == JsonValueKind.String:
                    arm.Version = p.Value.GetString()!;
                    break;
                case "weight" when p.Value.ValueKind == JsonValueKind.Number:
                    arm.Weight = p.Value.GetDouble();
                    break;
                case "snapshotsDirectory" when p.Value.ValueKind == JsonValueKind.String:
                    arm.SnapshotsDirectory = p.Value.GetString()!;
                    break;
                default:
                    problems.Add($"models[{i}]: unexpected key '{p.Name}' ({p.Value.ValueKind}); expected version (a string), weight (a number), snapshotsDirectory (a string)");
                    break;
            }
        }
        if (!m.TryGetProperty("weight", out _))
            problems.Add($"models[{i}]: weight is missing");
        return arm;
    }
}

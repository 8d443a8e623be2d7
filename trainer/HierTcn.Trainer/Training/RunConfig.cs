using System.Text.Json.Serialization;

namespace HierTcn.Trainer.Training;

/// <summary><c>config.json</c> of a run directory: the options and what the model was trained on. The exporter and
/// <c>hiertcn eval</c> rebuild the model from it.</summary>
public sealed record RunConfig
{
    public const int CurrentFormatVersion = 1;

    [JsonPropertyName("format")] public string Format { get; init; } = "hiertcn-run";
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentFormatVersion;
    [JsonPropertyName("training")] public TrainingOptions Training { get; init; } = new();
    [JsonPropertyName("dataset_name")] public string DatasetName { get; init; } = "";
    /// <summary>sha256 of the input events file the dataset was prepared from.</summary>
    [JsonPropertyName("dataset_sha256")] public string DatasetSha256 { get; init; } = "";
    /// <summary>sha256 of the prepared data file.</summary>
    [JsonPropertyName("data_sha256")] public string DataSha256 { get; init; } = "";
    /// <summary>Catalogue size N.</summary>
    [JsonPropertyName("items")] public int Items { get; init; }
    /// <summary>Feature setting: length of the fixed item vectors; 0 in the ID setting.</summary>
    [JsonPropertyName("item_feature_dim")] public int ItemFeatureDim { get; init; }
    [JsonPropertyName("parameters")] public long Parameters { get; init; }
    [JsonPropertyName("parameter_shapes")] public Dictionary<string, long[]> ParameterShapes { get; init; } = [];
    [JsonPropertyName("train_users")] public int TrainUsers { get; init; }
    [JsonPropertyName("train_sessions")] public int TrainSessions { get; init; }
    [JsonPropertyName("train_events")] public long TrainEvents { get; init; }
    [JsonPropertyName("created_utc")] public DateTime CreatedUtc { get; init; }
}

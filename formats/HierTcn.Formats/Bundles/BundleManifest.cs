using System.Text.Json;
using System.Text.Json.Serialization;

namespace HierTcn.Formats.Bundles;

/// <summary>
/// <c>manifest.json</c> of a model bundle (snake_case JSON). <see cref="Graphs"/> maps a role
/// (<see cref="GraphRoles"/>) to the graph that plays it; <see cref="Files"/> maps every other file of the bundle
/// directory to its SHA-256 (lowercase hex).
/// </summary>
public sealed record BundleManifest
{
    public const int CurrentFormatVersion = 1;
    public const string FileName = "manifest.json";

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required string ModelVersion { get; init; }
    /// <summary>One of <see cref="ModelTypes"/>.</summary>
    public required string ModelType { get; init; }
    public DateTimeOffset CreatedUtc { get; init; }
    public required ModelDims Dims { get; init; }
    /// <summary>The default-domain ONNX opset every graph imports.</summary>
    public int Opset { get; init; }
    public int IrVersion { get; init; }
    public required IReadOnlyDictionary<string, GraphSpec> Graphs { get; init; }
    public required StartTokensSpec StartTokens { get; init; }
    /// <summary>The session rule the model was trained with: a gap above this many ms starts a new session.</summary>
    public long SessionGapMs { get; init; } = SessionRule.DefaultGapMs;
    public TrainingSummary? Training { get; init; }
    public ItemSnapshotRef? ItemSnapshot { get; init; }
    /// <summary>The recent-popularity prior of a model with <see cref="ModelDims.RecentPop"/>: present exactly then.</summary>
    public RecentPopPriorSpec? RecentPopPrior { get; init; }
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };
}

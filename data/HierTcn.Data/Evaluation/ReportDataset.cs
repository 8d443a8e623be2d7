using System.Text.Json.Serialization;
using HierTcn.Data.Dataset;

namespace HierTcn.Data.Evaluation;

/// <summary>The <c>dataset</c> object of a report: PROTOCOL.md section 8's keys (input sha256 and counts after
/// filtering over all splits) plus where the data came from and the counts per split.</summary>
public sealed record ReportDataset
{
    /// <summary>sha256 of the input events file.</summary>
    [JsonPropertyName("sha256")] public string Sha256 { get; init; } = "";
    [JsonPropertyName("users")] public long Users { get; init; }
    /// <summary>Catalogue size N.</summary>
    [JsonPropertyName("items")] public long Items { get; init; }
    [JsonPropertyName("events")] public long Events { get; init; }
    [JsonPropertyName("sessions")] public long Sessions { get; init; }
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    /// <summary>"cold", "warm" or "score".</summary>
    [JsonPropertyName("split_kind")] public string SplitKind { get; init; } = "";
    /// <summary>For a "score" dataset: the input sha256 of the dataset whose catalogue it uses.</summary>
    [JsonPropertyName("catalog_from_sha256")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CatalogFromSha256 { get; init; }
    /// <summary>sha256 of the prepared dataset's data file.</summary>
    [JsonPropertyName("data_sha256")] public string DataSha256 { get; init; } = "";
    [JsonPropertyName("split_counts")] public Dictionary<string, DatasetCounts> SplitCounts { get; init; } = [];

    public static ReportDataset From(PreparedDataset data)
    {
        var h = data.Header;
        return new ReportDataset
        {
            Sha256 = h.InputSha256,
            Users = h.Counts.Users,
            Items = h.Counts.Items,
            Events = h.Counts.Events,
            Sessions = h.Counts.Sessions,
            Name = h.Name,
            SplitKind = h.Split,
            CatalogFromSha256 = h.CatalogFromSha256,
            DataSha256 = h.DataSha256,
            SplitCounts = new Dictionary<string, DatasetCounts>(h.SplitCounts),
        };
    }
}

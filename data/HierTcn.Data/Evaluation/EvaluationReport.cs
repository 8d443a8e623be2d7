using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HierTcn.Data.Evaluation;

/// <summary>
/// The result of one evaluation, serialised as PROTOCOL.md section 8's JSON: <c>protocol</c>, <c>split</c>,
/// <c>model</c>, <c>dataset</c> and <c>metrics</c> keep the protocol's names and meanings; the other keys are additions.
/// </summary>
public sealed record EvaluationReport
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    [JsonPropertyName("protocol")] public string Protocol { get; init; } = "v1";
    /// <summary>"train", "validation" or "test".</summary>
    [JsonPropertyName("split")] public string Split { get; init; } = "";
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    [JsonPropertyName("dataset")] public ReportDataset Dataset { get; init; } = new();
    /// <summary>The dataset the model was fitted on when it differs from <see cref="Dataset"/> (PROTOCOL.md section 9).</summary>
    [JsonPropertyName("fit_dataset")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ReportDataset? FitDataset { get; init; }
    /// <summary>Full-catalogue ranking.</summary>
    [JsonPropertyName("metrics")] public MetricGroups Metrics { get; init; } = new();
    /// <summary>The same metrics ranked within each event's candidate pool (the items shown with it, plus the true item);
    /// null when the dataset has no impressions. Events with an empty pool are left out.</summary>
    [JsonPropertyName("impressions")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MetricGroups? Impressions { get; init; }
    /// <summary>Full-catalogue metrics of the events whose true item has an event in the training split; null for the
    /// training split, a score dataset, or when <see cref="NewItems"/> is null.</summary>
    [JsonPropertyName("known_items")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MetricGroups? KnownItems { get; init; }
    /// <summary>Full-catalogue metrics of the events whose true item has no event in the training split (items the
    /// model never saw in training: in the warm split, items published after T1); null when there is none (and for the
    /// training split or a score dataset).</summary>
    [JsonPropertyName("new_items")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MetricGroups? NewItems { get; init; }
    [JsonPropertyName("hyper_parameters")] public IReadOnlyDictionary<string, object?> HyperParameters { get; init; } = new Dictionary<string, object?>();
    [JsonPropertyName("seed")] public long Seed { get; init; }
    [JsonPropertyName("scored_users")] public long ScoredUsers { get; init; }
    [JsonPropertyName("train_wall_time_s")] public double TrainWallTimeSeconds { get; init; }
    /// <summary>Scoring and ranking, without training.</summary>
    [JsonPropertyName("eval_wall_time_s")] public double EvalWallTimeSeconds { get; init; }
    /// <summary>Scored events per second of evaluation wall time.</summary>
    [JsonPropertyName("events_per_s")] public double EventsPerSecond { get; init; }
    /// <summary>Peak resident memory of the process so far (Linux VmHWM).</summary>
    [JsonPropertyName("peak_memory_bytes")] public long PeakMemoryBytes { get; init; }
    [JsonPropertyName("processors")] public int Processors { get; init; } = Environment.ProcessorCount;
    [JsonPropertyName("created_utc")] public DateTime CreatedUtc { get; init; }

    /// <summary>One entry per scored event, in query order, when <see cref="EvaluationOptions.KeepEventResults"/> is set.
    /// Not part of the JSON; see <see cref="WriteEventsCsv"/>.</summary>
    [JsonIgnore] public ScoredEvent[]? Events { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    /// <summary>Writes the JSON report to <paramref name="path"/> (temp file, then rename).</summary>
    public void WriteJson(string path) => WriteAtomically(path, ToJson() + "\n");

    public static EvaluationReport ReadJson(string path) =>
        JsonSerializer.Deserialize<EvaluationReport>(File.ReadAllBytes(path))
        ?? throw new InvalidDataException($"{path}: empty report");

    /// <summary>Writes <see cref="Events"/> as CSV: user, event, rank, past_events, session_position, gap_ms,
    /// new_session, pool_rank, pool_size.</summary>
    public void WriteEventsCsv(string path)
    {
        var events = Events ?? throw new InvalidOperationException("the report kept no per-event results (EvaluationOptions.KeepEventResults)");
        var sb = new StringBuilder(events.Length * 40);
        sb.Append("user,event,rank,past_events,session_position,gap_ms,new_session,pool_rank,pool_size\n");
        foreach (var e in events)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{e.User},{e.Event},{e.Rank},{e.PastEvents},{e.SessionPosition},{e.GapMs},{(e.NewSession ? 1 : 0)},{e.PoolRank},{e.PoolSize}\n");
        }
        WriteAtomically(path, sb.ToString());
    }

    /// <summary>A plain-text table of the metrics, for people.</summary>
    public string FormatTable()
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"{Model} on {Dataset.Name} ({Dataset.SplitKind} split, {Split}): N = {Dataset.Items:N0} items, ");
        sb.Append(inv, $"{Metrics.Event.N:N0} events of {ScoredUsers:N0} users; fit {TrainWallTimeSeconds:F1} s, ");
        sb.Append(inv, $"eval {EvalWallTimeSeconds:F1} s ({EventsPerSecond:N0} events/s), peak memory {PeakMemoryBytes / 1048576.0:N0} MiB\n");
        sb.Append(inv, $"{"",-22}{"R@1",8}{"R@5",8}{"R@10",8}{"R@20",8}{"MRR",8}{"MRP",8}{"n",10}\n");
        void Row(string name, MetricSet m) =>
            sb.Append(inv, $"{name,-22}{m.Recall1,8:F4}{m.Recall5,8:F4}{m.Recall10,8:F4}{m.Recall20,8:F4}{m.Mrr,8:F4}{m.Mrp,8:F4}{m.N,10:N0}\n");
        void Groups(string prefix, MetricGroups g)
        {
            Row(prefix + "event", g.Event);
            Row(prefix + "user", g.User);
            Row(prefix + "new_session", g.NewSession);
            Row(prefix + "within_session", g.WithinSession);
        }
        Groups("", Metrics);
        if (Impressions is not null)
        {
            Groups("pool/", Impressions);
        }
        if (KnownItems is not null && NewItems is not null)
        {
            Row("known_items/event", KnownItems.Event);
            Row("new_items/event", NewItems.Event);
        }
        return sb.ToString();
    }

    private static void WriteAtomically(string path, string text)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        string tmp = $"{full}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            File.WriteAllText(tmp, text, new UTF8Encoding(false));
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HierTcn.Trainer.Training;

/// <summary>
/// The files of a training run:
/// <list type="table">
/// <item><term>config.json</term><description><see cref="RunConfig"/></description></item>
/// <item><term>model.bin</term><description>weights of the best epoch (TorchSharp format; state-dict names as in CONTRACT.md)</description></item>
/// <item><term>epochs.json</term><description>one <see cref="EpochMetrics"/> per finished epoch</description></item>
/// <item><term>checkpoint/</term><description>the last epoch's weights and optimizer state, the best epoch's weights, and
/// <c>state.json</c> (<see cref="CheckpointState"/>, written last) naming them, for --resume</description></item>
/// <item><term>report.validation.json, report.test.json</term><description>PROTOCOL.md section 8 reports of the best weights</description></item>
/// <item><term>events.test.csv</term><description>per-event test results, the input of the figures</description></item>
/// <item><term>training.png, fig2_past_interactions.png, fig3_session_position.png, fig4_time_gap.png</term><description>plots</description></item>
/// </list>
/// Every JSON file is written to a temporary name and renamed.
/// </summary>
public sealed class RunDirectory
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public RunDirectory(string path) => Path = System.IO.Path.GetFullPath(path);

    public string Path { get; }
    public string ConfigPath => File("config.json");
    public string ModelPath => File("model.bin");
    public string EpochsPath => File("epochs.json");
    public string CheckpointDirectory => File("checkpoint");
    public string CheckpointStatePath => CheckpointFile("state.json");
    public string CheckpointFile(string name) => System.IO.Path.Combine(CheckpointDirectory, name);
    public string ReportPath(string split) => File($"report.{split}.json");
    public string EventsCsvPath(string split) => File($"events.{split}.csv");
    public string TrainingPlotPath => File("training.png");

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public bool HasCheckpoint => System.IO.File.Exists(CheckpointStatePath);

    public RunConfig ReadConfig()
    {
        if (!System.IO.File.Exists(ConfigPath))
        {
            throw new Data.UserInputException($"{ConfigPath}: not found; is '{Path}' a training run (./hiertcn train --out)?");
        }
        var config = Read<RunConfig>(ConfigPath);
        if (config.Format != "hiertcn-run" || config.FormatVersion != RunConfig.CurrentFormatVersion)
        {
            throw new InvalidDataException($"{ConfigPath}: format '{config.Format}' v{config.FormatVersion}, expected 'hiertcn-run' v{RunConfig.CurrentFormatVersion}");
        }
        return config;
    }

    public void WriteConfig(RunConfig config) => Write(ConfigPath, config);

    public List<EpochMetrics> ReadEpochs() => System.IO.File.Exists(EpochsPath) ? Read<List<EpochMetrics>>(EpochsPath) : [];

    public void WriteEpochs(IReadOnlyList<EpochMetrics> epochs) => Write(EpochsPath, epochs);

    public static T Read<T>(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(System.IO.File.ReadAllBytes(path), s_json)
                ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON for {typeof(T).Name} ({e.Message})", e);
        }
    }

    public static void Write<T>(string path, T value)
    {
        string? dir = System.IO.Path.GetDirectoryName(path);
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        WriteAtomically(path, tmp => System.IO.File.WriteAllText(tmp, JsonSerializer.Serialize(value, s_json) + "\n", new UTF8Encoding(false)));
    }

    /// <summary>Writes <paramref name="path"/> through a temporary name in the same folder, then renames it.</summary>
    internal static void WriteAtomically(string path, Action<string> write)
    {
        string tmp = $"{path}.tmp-{Environment.ProcessId}";
        write(tmp);
        System.IO.File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Where a run stopped: the last finished epoch and the early-stopping bookkeeping.</summary>
    public sealed record CheckpointState
    {
        [JsonPropertyName("epoch")] public int Epoch { get; init; }
        [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
        [JsonPropertyName("best_recall@10")] public double BestRecall10 { get; init; }
        [JsonPropertyName("epochs_without_improvement")] public int EpochsWithoutImprovement { get; init; }
        [JsonPropertyName("stopped")] public bool Stopped { get; init; }
        /// <summary>The last epoch's weights in <c>checkpoint/</c>.</summary>
        [JsonPropertyName("model")] public string Model { get; init; } = "model.bin";
        /// <summary>The last epoch's optimizer state in <c>checkpoint/</c>.</summary>
        [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = "optimizer.bin";
        /// <summary>The best epoch's weights in <c>checkpoint/</c> (the run's model.bin is a copy); null in checkpoints of
        /// format version 1, which did not keep them.</summary>
        [JsonPropertyName("best_model")] public string? BestModel { get; init; }
        /// <summary>Metrics of every finished epoch up to <see cref="Epoch"/>; null in format version 1.</summary>
        [JsonPropertyName("epochs")] public List<EpochMetrics>? Epochs { get; init; }
    }
}

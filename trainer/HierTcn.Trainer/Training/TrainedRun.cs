using HierTcn.Data;
using HierTcn.Data.Dataset;
using HierTcn.Trainer.Evaluation;
using HierTcn.Trainer.Models;
using TorchSharp;

namespace HierTcn.Trainer.Training;

/// <summary>A finished run's model with its best weights, rebuilt from <c>config.json</c> and <c>model.bin</c>.</summary>
public static class TrainedRun
{
    /// <summary>Loads the run's model on the CPU. <paramref name="data"/> supplies the catalogue (and, in the feature
    /// setting, the fixed item vectors); its catalogue must be the one the run was trained on.</summary>
    public static (RecommenderModel Model, RunConfig Config) Load(string runPath, PreparedDataset data)
    {
        var run = new RunDirectory(runPath);
        var config = run.ReadConfig();
        if (!File.Exists(run.ModelPath))
        {
            throw new UserInputException($"{run.ModelPath}: not found; the run has not finished an epoch yet.");
        }
        if (data.ItemCount != config.Items)
        {
            throw new UserInputException(
                $"{data.Directory}: catalogue of {data.ItemCount} items, but the run in {run.Path} was trained on {config.Items}.");
        }
        TorchRuntime.SetThreads(config.Training.Threads);
        var model = ModelFactory.Create(config.Training.Model, ModelTrainer.ItemsOf(data, config.Training));
        model.load(run.ModelPath);
        model.eval();
        return (model, config);
    }

    /// <summary>The run's model as an <see cref="Data.Evaluation.IRankingModel"/> for the evaluation harness, on
    /// <paramref name="device"/> ("cpu", "cuda" or "cuda:N"; checked before the weights are read).</summary>
    public static NeuralRankingModel LoadRanking(string runPath, PreparedDataset data, string device = "cpu")
    {
        var target = TorchRuntime.ParseDevice(device);
        var (model, config) = Load(runPath, data);
        if (target.type != DeviceType.CPU)
        {
            model.to(target);
        }
        return new NeuralRankingModel(model, ModelTrainer.HyperParameters(config));
    }
}

using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Plots;
using HierTcn.Trainer.Training;

namespace HierTcn.Trainer.Tests;

public sealed class TrainingTests
{
    static TrainingTests() => TorchRuntime.SetThreads(2);

    private static readonly ModelOptions s_small = new()
    {
        ItemDim = 16, HighLayers = 1, HighHidden = 16, LowLayers = 1, LowHidden = 16, TcnBlocks = 2, TcnChannels = 24, TcnKernel = 3,
    };

    private static PreparedDataset Walks(TempDir dir) =>
        SyntheticData.Write(dir.Path, SyntheticData.Walks(160, 40, seed: 8), 40,
            u => (u % 10) switch { 8 => DataSplit.Validation, 9 => DataSplit.Test, _ => DataSplit.Train });

    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.Gru)]
    public void Run_WalkData_BeatsPopularityAndWritesRun(ModelKind kind)
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        string runPath = Path.Combine(dir.Path, "run");
        var options = new TrainingOptions { Model = s_small with { Kind = kind }, BatchSize = 8, LearningRate = 1e-2, MaxEpochs = 4, Patience = 2 };
        var result = new ModelTrainer(options).Run(data, runPath);

        var pop = Evaluator.Evaluate(data, BaselineModels.Fit("pop", data), DataSplit.Test);
        double popRecall = pop.Metrics.Event.Recall10;
        double recall = result.Test!.Metrics.Event.Recall10;
        Assert.True(recall > popRecall + 0.2, $"{kind}: test Recall@10 {recall:F3} does not beat popularity {popRecall:F3}");
        Assert.True(result.Test.Metrics.Event.Mrr > pop.Metrics.Event.Mrr);
        Assert.Equal(pop.Metrics.Event.N, result.Test.Metrics.Event.N);
        Assert.True(result.Epochs[0].TrainLoss > result.Epochs[^1].TrainLoss, "training loss did not fall");

        var run = new RunDirectory(runPath);
        foreach (string file in new[] { "config.json", "model.bin", "epochs.json", "report.validation.json", "report.test.json",
            "events.test.csv", "training.png", FigurePlots.PastInteractionsFile, FigurePlots.SessionPositionFile, FigurePlots.TimeGapFile })
        {
            Assert.True(File.Exists(run.File(file)), $"{file} missing from the run directory");
        }
        Assert.Equal(result.Epochs.Count, run.ReadEpochs().Count);
        var report = EvaluationReport.ReadJson(run.ReportPath("test"));
        Assert.Equal(ModelKinds.Name(kind), report.Model);
        Assert.Equal("v1", report.Protocol);

        // The reloaded run scores exactly what the trainer reported.
        var reloaded = Evaluator.Evaluate(data, TrainedRun.LoadRanking(runPath, data), DataSplit.Test);
        Assert.Equal(result.Test.Metrics.Event.Mrr, reloaded.Metrics.Event.Mrr, 6);
    }

    [Fact]
    public void Run_ResumedAfterOneEpoch_EqualsUninterruptedRun()
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var options = new TrainingOptions { Model = s_small with { Kind = ModelKind.HierTcn }, BatchSize = 8, MaxEpochs = 2, Patience = 5 };
        string straight = Path.Combine(dir.Path, "straight");
        string resumed = Path.Combine(dir.Path, "resumed");
        var a = new ModelTrainer(options).Run(data, straight, finalEvaluation: false);
        new ModelTrainer(options with { MaxEpochs = 1 }).Run(data, resumed, finalEvaluation: false);
        var b = new ModelTrainer(options).Run(data, resumed, resume: true, finalEvaluation: false);
        Assert.Equal(2, b.Epochs.Count);
        Assert.Equal(a.Epochs.Select(e => e.TrainLoss), b.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(a.Epochs.Select(e => e.ValidationRecall10), b.Epochs.Select(e => e.ValidationRecall10));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoint", "model.bin")), File.ReadAllBytes(Path.Combine(resumed, "checkpoint", "model.bin")));
    }

    [Fact]
    public void Run_ExistingRunWithoutResume_IsRefused()
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var options = new TrainingOptions { Model = s_small with { Kind = ModelKind.Tcn }, MaxEpochs = 1, SkipValidation = true };
        string run = Path.Combine(dir.Path, "run");
        new ModelTrainer(options).Run(data, run, finalEvaluation: false);
        var e = Assert.Throws<HierTcn.Data.UserInputException>(() => new ModelTrainer(options).Run(data, run, finalEvaluation: false));
        Assert.Contains("--resume", e.Message);
    }
}

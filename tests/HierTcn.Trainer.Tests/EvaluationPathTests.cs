using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Evaluation;
using HierTcn.Trainer.Models;

namespace HierTcn.Trainer.Tests;

public sealed class EvaluationPathTests
{
    static EvaluationPathTests() => TorchRuntime.SetThreads(2);

    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    public void WholeUsers_EqualsSessionBySessionEvaluation(ModelKind kind)
    {
        TorchRuntime.Seed(11);
        using var dir = new TempDir();
        using var data = SyntheticData.Write(dir.Path, SyntheticData.Walks(90, 40, seed: 3), 40,
            u => (u % 3) switch { 0 => DataSplit.Test, _ => DataSplit.Train });
        var options = new ModelOptions { Kind = kind, ItemDim = 8, HighLayers = 2, HighHidden = 6, LowLayers = 2, LowHidden = 7, TcnBlocks = 2, TcnChannels = 5, TcnKernel = 3 };
        using var model = ModelFactory.Create(options, ItemSource.Ids(40));
        var hyper = new Dictionary<string, object?>();
        var whole = Evaluator.Evaluate(data, new NeuralRankingModel(model, hyper, userBatch: 7), DataSplit.Test,
            new EvaluationOptions { KeepEventResults = true });
        var stepwise = Evaluator.Evaluate(data, new NeuralRankingModel(model, hyper, userBatch: 7) { WholeUsers = false }, DataSplit.Test,
            new EvaluationOptions { KeepEventResults = true });
        Assert.True(whole.Metrics.Event.N > 100);
        Assert.Equal(stepwise.Metrics.Event.N, whole.Metrics.Event.N);
        Assert.Equal(stepwise.Metrics.Event.Recall10, whole.Metrics.Event.Recall10, 12);
        Assert.Equal(stepwise.Metrics.Event.Mrr, whole.Metrics.Event.Mrr, 6);
        Assert.Equal(stepwise.Events!.Select(e => e.Rank), whole.Events!.Select(e => e.Rank));
    }

    [Theory]
    [InlineData(ModelKind.Tcn)]
    [InlineData(ModelKind.Gru)]
    public void FlatModels_UsersSortedByLength_EqualQueryOrderEvaluation(ModelKind kind)
    {
        TorchRuntime.Seed(12);
        using var dir = new TempDir();
        using var data = SyntheticData.Write(dir.Path, SyntheticData.Walks(90, 40, seed: 4), 40,
            u => (u % 3) switch { 0 => DataSplit.Test, _ => DataSplit.Train });
        var options = new ModelOptions { Kind = kind, ItemDim = 8, HighLayers = 2, HighHidden = 6, LowLayers = 2, LowHidden = 7, TcnBlocks = 2, TcnChannels = 5, TcnKernel = 3 };
        using var model = ModelFactory.Create(options, ItemSource.Ids(40));
        var hyper = new Dictionary<string, object?>();
        var sorted = Evaluator.Evaluate(data, new NeuralRankingModel(model, hyper, userBatch: 7), DataSplit.Test,
            new EvaluationOptions { KeepEventResults = true });
        var inOrder = Evaluator.Evaluate(data, new NeuralRankingModel(model, hyper, userBatch: 7) { SortFlatByLength = false }, DataSplit.Test,
            new EvaluationOptions { KeepEventResults = true });
        Assert.True(sorted.Metrics.Event.N > 100);
        Assert.Equal(inOrder.Metrics.Event.N, sorted.Metrics.Event.N);
        Assert.Equal(inOrder.Metrics.Event.Recall10, sorted.Metrics.Event.Recall10, 12);
        Assert.Equal(inOrder.Metrics.Event.Mrr, sorted.Metrics.Event.Mrr, 6);
        Assert.Equal(inOrder.Events!.Select(e => e.Rank), sorted.Events!.Select(e => e.Rank));
    }
}

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
    public void WholeUsers_EqualsSessionBySessionEvaluation(ModelKind kind) =>
        AssertSameRanks(kind, 11, 3, model => new NeuralRankingModel(model, Hyper, userBatch: 7) { WholeUsers = false });

    [Theory]
    [InlineData(ModelKind.Tcn)]
    [InlineData(ModelKind.Gru)]
    public void FlatModels_UsersSortedByLength_EqualQueryOrderEvaluation(ModelKind kind) =>
        AssertSameRanks(kind, 12, 4, model => new NeuralRankingModel(model, Hyper, userBatch: 7) { SortFlatByLength = false });

    private static readonly Dictionary<string, object?> Hyper = [];

    /// <summary>The default evaluation path and <paramref name="reference"/> rank every test event of a small synthetic
    /// dataset the same for a small untrained model of <paramref name="kind"/>.</summary>
    private static void AssertSameRanks(ModelKind kind, int seed, int dataSeed, Func<RecommenderModel, NeuralRankingModel> reference)
    {
        TorchRuntime.Seed(seed);
        using var dir = new TempDir();
        using var data = SyntheticData.Write(dir.Path, SyntheticData.Walks(90, 40, seed: dataSeed), 40,
            u => (u % 3) switch { 0 => DataSplit.Test, _ => DataSplit.Train });
        var options = new ModelOptions { Kind = kind, ItemDim = 8, HighLayers = 2, HighHidden = 6, LowLayers = 2, LowHidden = 7, TcnBlocks = 2, TcnChannels = 5, TcnKernel = 3 };
        using var model = ModelFactory.Create(options, ItemSource.Ids(40));
        var fast = Evaluator.Evaluate(data, new NeuralRankingModel(model, Hyper, userBatch: 7), DataSplit.Test,
            new EvaluationOptions { KeepEventResults = true });
        var slow = Evaluator.Evaluate(data, reference(model), DataSplit.Test, new EvaluationOptions { KeepEventResults = true });
        Assert.True(fast.Metrics.Event.N > 100);
        Assert.Equal(slow.Metrics.Event.N, fast.Metrics.Event.N);
        Assert.Equal(slow.Metrics.Event.Recall10, fast.Metrics.Event.Recall10, 12);
        Assert.Equal(slow.Metrics.Event.Mrr, fast.Metrics.Event.Mrr, 6);
        Assert.Equal(slow.Events!.Select(e => e.Rank), fast.Events!.Select(e => e.Rank));
    }
}

using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Evaluation;
using HierTcn.Trainer.Models;
using TorchSharp;

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

    /// <summary>HRNN's user GRU reads each session's last session-GRU state, so it has one path, session by session;
    /// batching users must not change it.</summary>
    [Fact]
    public void Hrnn_UsersBatched_EqualOneUserAtATime() =>
        AssertSameRanks(ModelKind.Hrnn, 13, 5, model => new NeuralRankingModel(model, Hyper, userBatch: 1));

    /// <summary>`eval --device cuda`: the same path on the GPU ranks as on the CPU (float sums may differ, so ties
    /// aside).</summary>
    [CudaFact]
    public void Cuda_SamePathAsCpu()
    {
        foreach (var kind in new[] { ModelKind.HierTcn, ModelKind.Gru })
        {
            TorchRuntime.Seed(21);
            using var dir = new TempDir();
            using var data = SyntheticData.Write(dir.Path, SyntheticData.Walks(90, 40, seed: 6), 40,
                u => (u % 3) switch { 0 => DataSplit.Test, _ => DataSplit.Train });
            using var model = ModelFactory.Create(Small(kind), ItemSource.Ids(40));
            var cpu = Evaluator.Evaluate(data, new NeuralRankingModel(model, Hyper, userBatch: 7), DataSplit.Test, new EvaluationOptions { KeepEventResults = true });
            model.to(new torch.Device("cuda"));
            var gpu = Evaluator.Evaluate(data, new NeuralRankingModel(model, Hyper, userBatch: 7), DataSplit.Test, new EvaluationOptions { KeepEventResults = true });
            Assert.True(cpu.Metrics.Event.N > 100);
            Assert.Equal(cpu.Metrics.Event.N, gpu.Metrics.Event.N);
            Assert.Equal(cpu.Metrics.Event.Mrr, gpu.Metrics.Event.Mrr, 3);
            int same = cpu.Events!.Zip(gpu.Events!).Count(p => p.First.Rank == p.Second.Rank);
            Assert.True(same >= 0.99 * cpu.Events!.Length, $"{kind}: {same} of {cpu.Events!.Length} ranks equal on CUDA and CPU");
        }
    }

    private static readonly Dictionary<string, object?> Hyper = [];

    private static ModelOptions Small(ModelKind kind) =>
        new() { Kind = kind, ItemDim = 8, HighLayers = 2, HighHidden = 6, LowLayers = 2, LowHidden = 7, TcnBlocks = 2, TcnChannels = 5, TcnKernel = 3 };

    /// <summary>The default evaluation path and <paramref name="reference"/> rank every test event of a small synthetic
    /// dataset the same for a small untrained model of <paramref name="kind"/>.</summary>
    private static void AssertSameRanks(ModelKind kind, int seed, int dataSeed, Func<RecommenderModel, NeuralRankingModel> reference)
    {
        TorchRuntime.Seed(seed);
        using var dir = new TempDir();
        using var data = SyntheticData.Write(dir.Path, SyntheticData.Walks(90, 40, seed: dataSeed), 40,
            u => (u % 3) switch { 0 => DataSplit.Test, _ => DataSplit.Train });
        using var model = ModelFactory.Create(Small(kind), ItemSource.Ids(40));
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

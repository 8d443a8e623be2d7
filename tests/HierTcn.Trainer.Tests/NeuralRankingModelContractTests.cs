using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Data.Tests.Baselines;
using HierTcn.Trainer.Evaluation;
using HierTcn.Trainer.Models;

namespace HierTcn.Trainer.Tests;

/// <summary>The ranking-model contract (every cell finite, the same rows whatever the batching or on a second fit) for
/// each neural model behind <see cref="NeuralRankingModel"/>. "Fit" builds the model from a fixed seed: the contract is
/// about the scoring path, which is the same for trained weights.</summary>
public abstract class NeuralRankingModelContractTests(SliceDatasetFixture fixture, ModelKind kind) : RankingModelContractTests(fixture)
{
    static NeuralRankingModelContractTests() => TorchRuntime.SetThreads(2);

    /// <summary>Seen: differences up to 2e-7 relative (float32 rounding); a wrong row or position is off by far more.</summary>
    protected override double BatchingTolerance => 1e-5;

    protected override IRankingModel Fit(PreparedDataset data)
    {
        TorchRuntime.Seed(11);
        var options = new ModelOptions
        {
            Kind = kind,
            ItemDim = 16,
            HighLayers = 1,
            HighHidden = 16,
            LowLayers = 1,
            LowHidden = 16,
            TcnBlocks = 2,
            TcnChannels = 16,
            TcnKernel = 3,
        };
        var model = ModelFactory.Create(options, ItemSource.Ids(data.ItemCount));
        return new NeuralRankingModel(model, new Dictionary<string, object?> { ["model"] = ModelKinds.Name(kind) }, userBatch: 5);
    }
}

public sealed class HierTcnRankingContractTests(SliceDatasetFixture fixture) : NeuralRankingModelContractTests(fixture, ModelKind.HierTcn);

public sealed class HierGruRankingContractTests(SliceDatasetFixture fixture) : NeuralRankingModelContractTests(fixture, ModelKind.HierGru);

public sealed class HrnnRankingContractTests(SliceDatasetFixture fixture) : NeuralRankingModelContractTests(fixture, ModelKind.Hrnn);

public sealed class TcnRankingContractTests(SliceDatasetFixture fixture) : NeuralRankingModelContractTests(fixture, ModelKind.Tcn);

public sealed class GruRankingContractTests(SliceDatasetFixture fixture) : NeuralRankingModelContractTests(fixture, ModelKind.Gru);

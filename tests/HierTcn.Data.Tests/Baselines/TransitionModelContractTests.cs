using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Tests.Baselines;

public sealed class TransitionModelContractTests(SliceDatasetFixture fixture) : RankingModelContractTests(fixture)
{
    protected override IRankingModel Fit(PreparedDataset data) => TransitionModel.Fit(data);
}

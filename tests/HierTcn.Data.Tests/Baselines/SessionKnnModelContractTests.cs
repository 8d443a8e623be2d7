using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Tests.Baselines;

public sealed class SessionKnnModelContractTests(SliceDatasetFixture fixture) : RankingModelContractTests(fixture)
{
    protected override IRankingModel Fit(PreparedDataset data) => SessionKnnModel.Fit(data);
}

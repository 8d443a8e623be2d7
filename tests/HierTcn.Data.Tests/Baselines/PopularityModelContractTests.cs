using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Tests.Baselines;

public sealed class PopularityModelContractTests(SliceDatasetFixture fixture) : RankingModelContractTests(fixture)
{
    protected override IRankingModel Fit(PreparedDataset data) => PopularityModel.Fit(data);
}

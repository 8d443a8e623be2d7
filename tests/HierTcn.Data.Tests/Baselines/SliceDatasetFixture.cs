using HierTcn.Data.Dataset;
using HierTcn.Data.Preparation;

namespace HierTcn.Data.Tests.Baselines;

/// <summary>The repository's Globo slice prepared once (cold split) for a test class.</summary>
public sealed class SliceDatasetFixture : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public SliceDatasetFixture()
    {
        string dir = _tmp.File("slice");
        DatasetPreparer.Prepare(RepoPaths.GloboSlice, dir, new PrepareOptions());
        Data = PreparedDataset.Open(dir);
    }

    public PreparedDataset Data { get; }

    public void Dispose()
    {
        Data.Dispose();
        _tmp.Dispose();
    }
}

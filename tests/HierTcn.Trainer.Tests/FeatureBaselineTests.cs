using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Baselines;

namespace HierTcn.Trainer.Tests;

public sealed class FeatureBaselineTests
{
    // Items: e0 = (1, 0), e1 = (0, 1), e2 = (2, 2) (cosine ignores its length). One user: 0, 1, 2.
    private static PreparedDataset Data(TempDir dir) =>
        SyntheticData.Write(dir.Path, [[[0, 1, 2]]], 3, features: [1, 0, 0, 1, 2, 2], featureDim: 2);

    private static float[] Scores(string model, PreparedDataset data, int evt)
    {
        var scores = new float[3];
        FeatureBaseline.Create(model, data).Score(data, [new ScoreQuery(0, evt)], scores);
        return scores;
    }

    [Fact]
    public void Score_MeanVector_CosineWithMeanOfPastItems()
    {
        using var dir = new TempDir();
        using var data = Data(dir);
        // Past of event 2: e0, e1; their mean points along (1, 1).
        Assert.Equal([(float)Math.Sqrt(0.5), (float)Math.Sqrt(0.5), 1f], Scores("mv", data, 2), new FloatTolerance());
        // Past of event 1: e0 alone.
        Assert.Equal([1f, 0f, (float)Math.Sqrt(0.5)], Scores("mv", data, 1), new FloatTolerance());
    }

    [Fact]
    public void Score_MaxItem_BestCosineOverPastItems()
    {
        using var dir = new TempDir();
        using var data = Data(dir);
        Assert.Equal([1f, 1f, (float)Math.Sqrt(0.5)], Scores("maxitem", data, 2), new FloatTolerance());
    }

    [Fact]
    public void Create_DatasetWithoutFeatures_ExplainsWhat()
    {
        using var dir = new TempDir();
        using var data = SyntheticData.Write(dir.Path, [[[0, 1]]], 2);
        var e = Assert.Throws<HierTcn.Data.UserInputException>(() => FeatureBaseline.Create("mv", data));
        Assert.Contains("no item features", e.Message);
    }

    private sealed class FloatTolerance : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) < 1e-5;

        public int GetHashCode(float obj) => 0;
    }
}

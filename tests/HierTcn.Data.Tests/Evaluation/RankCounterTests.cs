using HierTcn.Data.Evaluation.Internal;

namespace HierTcn.Data.Tests.Evaluation;

public sealed class RankCounterTests
{
    [Fact]
    public void CountAtLeast_AnyLengthWithTiesAndNaN_MatchesScalarLoop()
    {
        var rng = new Random(3);
        foreach (int length in new[] { 0, 1, 7, 15, 16, 17, 31, 32, 33, 100, 2521, 4099 })
        {
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                values[i] = rng.Next(20) == 0 ? float.NaN : rng.Next(8) * 0.25f;
            }
            foreach (float t in new[] { -1f, 0f, 0.75f, 1.0f, 2f, float.PositiveInfinity })
            {
                Assert.Equal(RankCounter.CountAtLeastScalar(values, t), RankCounter.CountAtLeast(values, t));
            }
        }
    }

    [Fact]
    public void Rank_TrueItemTiedWithOthers_CountsTiesAgainstModel()
    {
        float[] row = [0.5f, 0.9f, 0.5f, 0.1f, 0.5f];
        Assert.Equal(4, RankCounter.Rank(row, 0));
        Assert.Equal(1, RankCounter.Rank(row, 1));
        Assert.Equal(5, RankCounter.Rank(row, 3));
        row[3] = float.NaN;
        Assert.Equal(5, RankCounter.Rank(row, 3));
    }
}

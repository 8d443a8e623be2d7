using HierTcn.Inference.Scoring;

namespace HierTcn.Inference.Tests;

public sealed class BatchScorerTests
{
    [Fact]
    public void Score_FullCatalogue_MatchesBruteForceTopK()
    {
        var rng = new Random(7);
        int n = 500, d = 16, batch = 3, k = 10;
        float[] items = Enumerable.Range(0, n * d).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        float[] users = Enumerable.Range(0, batch * d).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var scorer = new BatchScorer(batch, k);
        var output = Enumerable.Range(0, batch).Select(_ => new ScoredRow[k]).ToArray();
        var counts = new int[batch];
        scorer.Score(users, d, items, new int[]?[batch], [k, k, 3], (b, row) => b == 1 && row % 2 == 0, output, counts);
        for (int b = 0; b < batch; b++)
        {
            var expected = Enumerable.Range(0, n)
                .Where(row => !(b == 1 && row % 2 == 0))
                .Select(row => (row, score: Enumerable.Range(0, d).Sum(j => users[b * d + j] * items[row * d + j])))
                .OrderByDescending(x => x.score).Take(b == 2 ? 3 : k).ToArray();
            Assert.Equal(expected.Length, counts[b]);
            for (int i = 0; i < counts[b]; i++)
            {
                Assert.Equal(expected[i].row, output[b][i].Row);
                Assert.Equal(expected[i].score, output[b][i].Score, 1e-4);
            }
        }
    }

    [Fact]
    public void Score_Candidates_OnlyThoseRowsAndNoNaN()
    {
        float[] items = [1, 0, 0, 1, float.NaN, 0, 2, 2];
        float[] users = [1, 1];
        var scorer = new BatchScorer(1, 4);
        var output = new[] { new ScoredRow[4] };
        var counts = new int[1];
        scorer.Score(users, 2, items, [[0, 2, 3]], [4], null, output, counts);
        Assert.Equal(2, counts[0]);
        Assert.Equal(3, output[0][0].Row);
        Assert.Equal(0, output[0][1].Row);
    }
}

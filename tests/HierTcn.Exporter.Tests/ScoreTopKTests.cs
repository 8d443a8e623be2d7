using HierTcn.Formats.Bundles;
using Xunit.Abstractions;

namespace HierTcn.Exporter.Tests;

public sealed class ScoreTopKTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 10)]
    [InlineData(64, 100)]
    public void ScoreTopK_RandomCatalogue_MatchesBruteForce(int b, int k)
    {
        const int n = 500, d = 16;
        var random = new Random(b + k);
        float[] users = Batch.Fill(random, b * d), items = Batch.Fill(random, n * d);
        var graphs = StepGraphs.Build(ModelTypes.HierTcn, RandomWeights.For(ModelTypes.HierTcn, seed: 1));
        using var ort = new Ort(graphs[GraphRoles.Score]);
        var result = ort.RunMixed(("user_embedding", users, [b, d]), ("item_matrix", items, [n, d]), ("k", new long[] { k }, [1]));
        var scores = (float[])result["scores"];
        var indices = (long[])result["indices"];
        float worst = 0;
        for (int i = 0; i < b; i++)
        {
            var want = Enumerable.Range(0, n)
                .Select(j => (Item: j, Score: Enumerable.Range(0, d).Sum(c => (double)users[i * d + c] * items[j * d + c])))
                .OrderByDescending(x => x.Score).Take(k).ToArray();
            Assert.Equal(want.Select(x => (long)x.Item), indices.AsSpan(i * k, k).ToArray());
            worst = want.Select((x, r) => MathF.Abs((float)x.Score - scores[i * k + r])).Prepend(worst).Max();
        }
        output.WriteLine($"score_topk B={b} k={k} N={n}: same items in the same order; max abs score diff {worst:E3}");
        Assert.True(worst <= 1e-4f);
    }
}

using System.Security.Cryptography;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference.Snapshots;
using HierTcn.Inference.V1;
using Xunit.Abstractions;

namespace HierTcn.Inference.Tests;

/// <summary>The daily snapshot job of a feature model (<see cref="FeatureSnapshotBuilder"/>, what
/// <c>hiertcn snapshot build --bundle B --features F</c> runs): items embedded by the bundle's projection graph on ONNX
/// Runtime, a wrong feature width refused, and a running service serving a new item from the new snapshot without a
/// restart.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class FeatureSnapshotTests(ServedModelFixture served, FeatureModelFixture model, ITestOutputHelper output)
    : IClassFixture<FeatureModelFixture>
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void Publish_TrainingItems_EqualsExportersSnapshotAndLeavesItUnchanged()
    {
        string own = ItemSnapshotDirectory.PathOf(model.SnapshotsDirectory, "f1");
        byte[] before = SHA256.HashData(File.ReadAllBytes(own));

        // 30 items in batches of 7: the last batch is partial.
        string built = FeatureSnapshotBuilder.Publish(model.Bundle, model.Data.ItemIds.ToArray(), model.Data.ItemFeatures.ToArray(),
            FeatureModelFixture.FeatureDim, model.SnapshotsDirectory, "day-1", batchSize: 7);

        using var exported = ItemSnapshot.Open(own);
        using var embedded = ItemSnapshot.Open(built);
        Assert.Equal(exported.ItemIds.ToArray(), embedded.ItemIds.ToArray());
        Assert.Equal(FeatureModelFixture.ItemDim, embedded.Dimension);
        float diff = 0;
        for (int i = 0; i < exported.Count; i++)
        {
            for (int j = 0; j < exported.Dimension; j++)
            {
                diff = MathF.Max(diff, MathF.Abs(exported.Row(i)[j] - embedded.Row(i)[j]));
            }
        }
        output.WriteLine($"ONNX Runtime projection vs the exporter's TorchSharp snapshot: max abs diff {diff:E3}");
        Assert.True(diff <= Tolerance, $"max abs diff {diff} > {Tolerance}");
        Assert.Equal(built, ItemSnapshotDirectory.ResolveCurrent(model.SnapshotsDirectory));
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(own)));
        using var reopened = model.Bundle.OpenSnapshot(model.SnapshotsDirectory); // checks the manifest's checksum
        Assert.Equal(30, reopened.Count);
    }

    [Fact]
    public void Publish_FeatureWidthMismatch_RefusedNamingBothAndNothingPublished()
    {
        string dir = Path.Combine(model.Root, "refused");
        var raw = new float[model.Data.ItemCount * 11];
        var e = Assert.Throws<InvalidDataException>(() =>
            FeatureSnapshotBuilder.Publish(model.Bundle, model.Data.ItemIds.ToArray(), raw, 11, dir, "bad"));
        output.WriteLine(e.Message);
        Assert.Contains("11 values per item", e.Message);
        Assert.Contains($"{FeatureModelFixture.FeatureDim}-dimensional", e.Message);
        Assert.False(File.Exists(ItemSnapshotDirectory.PathOf(dir, "bad")));
    }

    [Fact]
    public void Publish_IdModelBundle_Refused()
    {
        var idBundle = ModelBundle.Load(Path.Combine(served.BundlesDirectory, "v1"));
        var e = Assert.Throws<InvalidDataException>(() => FeatureSnapshotBuilder.Publish(idBundle, [1, 2], new float[24],
            FeatureModelFixture.FeatureDim, Path.Combine(model.Root, "id-refused"), "bad"));
        Assert.Contains("trained on item ids", e.Message);
    }

    [Fact]
    public async Task Recommend_NewItemInBuiltSnapshot_PickedUpWithoutRestartAndRankedFirst()
    {
        long[] ids = model.Data.ItemIds.ToArray();
        float[] features = model.Data.ItemFeatures.ToArray();
        const int d = FeatureModelFixture.FeatureDim;
        string dir = Path.Combine(model.Root, "served-snapshots");
        FeatureSnapshotBuilder.Publish(model.Bundle, ids, features, d, dir, "day-1");
        await using var server = await TestServer.StartAsync(served, new Dictionary<string, string?>
        {
            ["Recommender:BundlesDirectory"] = model.BundlesDirectory,
            ["Recommender:SnapshotsDirectory"] = dir,
            ["Recommender:Models:0:Version"] = "f1",
            ["Recommender:SnapshotPollInterval"] = "00:00:00.100",
        });

        // A session about three known items; the model's first pick for it on day 1 is item y.
        const long user = 77;
        long[] session = [ids[3], ids[4], ids[5]];
        long t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 600_000;
        var observe = new ObserveEventsRequest();
        for (int i = 0; i < session.Length; i++)
        {
            observe.Events.Add(new Event { UserId = user, ItemId = session[i], TimestampMs = t + 60_000 * i, EventId = $"s{i}" });
        }
        Assert.Equal(3, (await server.Client.ObserveEventsAsync(observe)).Applied);
        var request = new RecommendRequest { UserId = user, K = 3, ExcludeItemIds = { session } };
        var day1 = await server.Client.RecommendAsync(request);
        Assert.Equal("day-1", day1.SnapshotVersion);
        long y = day1.Items[0].ItemId;

        // Day 2: y is retired and a new item, never seen in training, arrives with y's features.
        const long newItem = 9_000_001;
        int yRow = Array.IndexOf(ids, y);
        long[] ids2 = [.. ids.Where(id => id != y), newItem];
        float[] features2 = [.. Enumerable.Range(0, ids.Length).Where(i => i != yRow).SelectMany(i => features.AsSpan(i * d, d).ToArray()),
            .. features.AsSpan(yRow * d, d)];
        FeatureSnapshotBuilder.Publish(model.Bundle, ids2, features2, d, dir, "day-2");

        var until = DateTime.UtcNow.AddSeconds(20);
        RecommendResponse day2;
        while ((day2 = await server.Client.RecommendAsync(request)).SnapshotVersion != "day-2")
        {
            Assert.True(DateTime.UtcNow < until, "the service did not pick day-2 up within 20 s");
            await Task.Delay(50);
        }
        output.WriteLine($"day 1: {string.Join(", ", day1.Items.Select(i => $"{i.ItemId}:{i.Score:F4}"))}; "
            + $"day 2: {string.Join(", ", day2.Items.Select(i => $"{i.ItemId}:{i.Score:F4}"))}");
        Assert.Equal(newItem, day2.Items[0].ItemId);
        Assert.Equal(day1.Items[0].Score, day2.Items[0].Score, 1e-4f);
        Assert.DoesNotContain(day2.Items, i => i.ItemId == y);
        Assert.Equal(["f1"], server.Engine.Versions);
    }
}

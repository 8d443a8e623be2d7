using System.IO.Compression;
using HierTcn.Formats.Snapshots;

namespace HierTcn.Exporter.Tests;

public sealed class ItemFeatureFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void Read_GzipTsvWithHeader_PublishesSnapshot()
    {
        string path = _dir.File("items.tsv.gz");
        using (var gz = new StreamWriter(new GZipStream(File.Create(path), CompressionLevel.Fastest)))
        {
            gz.Write("item_id\tf0\tf1\n7\t0.5\t-1\n3\t2\t1e-3\n");
        }
        var (ids, matrix, dim) = ItemFeatureFile.Read(path);
        Assert.Equal([7L, 3L], ids);
        Assert.Equal(2, dim);
        Assert.Equal([0.5f, -1f, 2f, 1e-3f], matrix);
        using var snapshot = ItemSnapshot.Open(ItemSnapshotDirectory.Publish(_dir.File("snaps"), "f1", ids, matrix, dim));
        Assert.True(snapshot.TryGetRow(3, out int row));
        Assert.Equal([2f, 1e-3f], snapshot.Row(row).ToArray());
    }

    [Theory]
    [InlineData("1,0.5\n2,0.5,0.25\n", "items.csv:2: 2 feature values, earlier lines have 1")]
    [InlineData("1,0.5\nx,0.5\n", "items.csv:2: item id \"x\" is not an integer")]
    [InlineData("1,0.5\n1,0.7\n", "items.csv:2: item id 1 appears twice")]
    [InlineData("1,NaN\n", "items.csv:1: feature 0 \"NaN\" is not a finite number")]
    [InlineData("1\n", "items.csv:1: no feature values after the item id")]
    [InlineData("item_id,f0\n", "items.csv: no items")]
    public void Read_MalformedLine_RefusedNamingFileAndLine(string content, string message)
    {
        File.WriteAllText(_dir.File("items.csv"), content);
        var e = Assert.Throws<InvalidDataException>(() => ItemFeatureFile.Read(_dir.File("items.csv")));
        Assert.EndsWith(message, e.Message);
    }

    public void Dispose() => _dir.Dispose();
}

using HierTcn.Data.Dataset;

namespace HierTcn.Data.Tests;

public sealed class DatasetRoundTripTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hiertcn-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static DatasetArrays TwoUsers() => new()
    {
        ItemIds = [10, 20, 30],
        UserIds = [4, 8],
        UserSplit = [0, 2],
        UserSessions = [0, 2, 3],
        SessionEvents = [0, 2, 3, 5],
        EventItems = [0, 1, 2, 2, 1],
        EventTimestamps = [1, 2, 5_000_000, 7, 8],
        EventSplit = [0, 0, 0, 2, 2],
    };

    private static DatasetHeader HeaderFor(DatasetArrays a) => new()
    {
        Name = "tiny",
        Counts = new DatasetCounts { Users = a.UserIds.Length, Items = a.ItemIds.Length, Events = a.EventItems.Length, Sessions = a.SessionEvents.Length - 1 },
    };

    [Fact]
    public void Write_ThenOpen_ReturnsSameArrays()
    {
        var a = TwoUsers();
        var written = DatasetWriter.Write(_dir, HeaderFor(a), a);
        using var ds = PreparedDataset.Open(_dir);
        Assert.Equal(64, written.DataSha256.Length);
        Assert.Equal(a.ItemIds, ds.ItemIds.ToArray());
        Assert.Equal(a.UserIds, ds.UserIds.ToArray());
        Assert.Equal(a.UserSplit, ds.UserSplit.ToArray());
        Assert.Equal(a.SessionEvents, ds.SessionEvents.ToArray());
        Assert.Equal(a.EventTimestamps, ds.EventTimestamps.ToArray());
        Assert.Equal((3, 5), ds.UserEvents(1));
        Assert.Equal(new byte[] { 1, 0, 1, 1, 0 }, ds.SessionStartFlags());
        Assert.False(ds.HasImpressions);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp-*"));
    }

    [Fact]
    public void Open_TruncatedDataFile_ThrowsNamingFile()
    {
        var a = TwoUsers();
        DatasetWriter.Write(_dir, HeaderFor(a), a);
        string data = Path.Combine(_dir, DatasetFile.FileName);
        using (var f = new FileStream(data, FileMode.Open))
        {
            f.SetLength(f.Length / 2);
        }
        var e = Assert.Throws<InvalidDataException>(() => PreparedDataset.Open(_dir));
        Assert.Contains(DatasetFile.FileName, e.Message);
    }

    [Fact]
    public void Open_MissingDirectory_ThrowsClearMessage()
    {
        var e = Assert.Throws<InvalidDataException>(() => PreparedDataset.Open(Path.Combine(_dir, "nope")));
        Assert.Contains("prepare", e.Message);
    }

    [Fact]
    public void SplitMix64_KnownValue_MatchesReference()
    {
        // splitmix64(0) is the first output of the reference generator seeded with 0.
        Assert.Equal(0xE220A8397B1DCDAFUL, SplitMix64.Hash(0));
    }
}

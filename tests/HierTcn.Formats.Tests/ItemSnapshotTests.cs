using System.Buffers.Binary;
using HierTcn.Formats.Snapshots;

namespace HierTcn.Formats.Tests;

public sealed class ItemSnapshotTests : IDisposable
{
    private const int D = 5;
    private readonly TempDirectory _dir = new();
    private readonly long[] _ids = [900, 17, 42, -3, 1_000_000_000_000];

    private float[] Matrix(float offset = 0) => Enumerable.Range(0, _ids.Length * D).Select(i => i * 0.25f + offset).ToArray();

    private string WriteValid(string name = "v1.snap")
    {
        ItemSnapshotWriter.Write(_dir.File(name), _ids, Matrix(), D);
        return _dir.File(name);
    }

    [Fact]
    public void Open_WrittenSnapshot_RowsIdsAndHeaderRoundTrip()
    {
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        var header = ItemSnapshotWriter.Write(_dir.File("a.snap"), _ids, Matrix(), D, created);
        using var s = ItemSnapshot.Open(_dir.File("a.snap"));
        Assert.Equal(header, s.Header);
        Assert.Equal(created, s.Header.Created);
        Assert.Equal(_ids.Length, s.Count);
        Assert.Equal(D, s.Dimension);
        Assert.Equal(_ids, s.ItemIds.ToArray());
        Assert.Equal(Matrix(), s.Matrix.ToArray());
        Assert.Equal(0, s.MatrixPointer % 64);
        for (int r = 0; r < _ids.Length; r++)
        {
            Assert.True(s.TryGetRow(_ids[r], out int row));
            Assert.Equal(r, row);
            Assert.Equal(Matrix().AsSpan(r * D, D).ToArray(), s.Row(r).ToArray());
        }
        Assert.False(s.TryGetRow(18, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Row(_ids.Length));
    }

    [Fact]
    public void Open_EmptyCatalogue_Works()
    {
        ItemSnapshotWriter.Write(_dir.File("e.snap"), [], [], D);
        using var s = ItemSnapshot.Open(_dir.File("e.snap"));
        Assert.Equal(0, s.Count);
        Assert.False(s.TryGetRow(1, out _));
    }

    [Fact]
    public void Open_SameFileTwice_BothReadersSeeTheSameRows()
    {
        string path = WriteValid();
        using var a = ItemSnapshot.Open(path);
        using var b = ItemSnapshot.Open(path);
        Assert.Equal(a.Row(3).ToArray(), b.Row(3).ToArray());
    }

    [Fact]
    public void Open_FlippedMatrixByte_RefusedWithChecksumMismatch()
    {
        string path = WriteValid();
        Patch(path, ItemSnapshotFile.HeaderSize + 7, b => (byte)(b ^ 0x40));
        var e = Assert.Throws<InvalidDataException>(() => ItemSnapshot.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("checksum mismatch", e.Message);
    }

    [Fact]
    public void Open_TruncatedFile_Refused()
    {
        string path = WriteValid();
        using (var f = new FileStream(path, FileMode.Open))
        {
            f.SetLength(f.Length - 64);
        }
        var e = Assert.Throws<InvalidDataException>(() => ItemSnapshot.Open(path));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Open_ShorterThanHeader_Refused()
    {
        File.WriteAllBytes(_dir.File("short.snap"), new byte[40]);
        var e = Assert.Throws<InvalidDataException>(() => ItemSnapshot.Open(_dir.File("short.snap")));
        Assert.Contains("shorter than the 128-byte header", e.Message);
    }

    [Fact]
    public void Open_IdMapLongerThanMatrix_Refused()
    {
        string path = WriteValid();
        PatchInt64(path, 48, _ids.Length + 1);
        var e = Assert.Throws<InvalidDataException>(() => ItemSnapshot.Open(path));
        Assert.Contains($"id map has {_ids.Length + 1} entries but the matrix has {_ids.Length} rows", e.Message);
    }

    [Fact]
    public void Open_WrongDimensionInHeader_Refused()
    {
        string path = WriteValid();
        Patch(path, 24, _ => 40);
        var e = Assert.Throws<InvalidDataException>(() => ItemSnapshot.Open(path));
        Assert.Contains("section offsets disagree with N = 5, d = 40", e.Message);
    }

    [Fact]
    public void Open_BadMagicOrVersionOrType_Refused()
    {
        string path = WriteValid();
        Patch(path, 0, _ => (byte)'X');
        Assert.Contains("bad magic", Assert.Throws<InvalidDataException>(() => ItemSnapshot.Open(path)).Message);
        path = WriteValid("v2.snap");
        Patch(path, 8, _ => 9);
        Assert.Contains("format version 9", Assert.Throws<InvalidDataException>(() => ItemSnapshot.Open(path)).Message);
        path = WriteValid("v3.snap");
        Patch(path, 12, _ => 11);
        Assert.Contains("element type code 11", Assert.Throws<InvalidDataException>(() => ItemSnapshot.Open(path)).Message);
    }

    [Fact]
    public void Open_MissingFile_ThrowsFileNotFound()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ItemSnapshot.Open(_dir.File("nope.snap")));
        Assert.Contains("nope.snap", e.Message);
    }

    [Fact]
    public void Write_BadInput_ThrowsNamingTheProblem()
    {
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => ItemSnapshotWriter.Write(_dir.File("x.snap"), [1, 2, 1], new float[3 * D], D)).Message);
        var nan = Matrix();
        nan[2 * D + 1] = float.NaN;
        Assert.Contains("row 2 (item 42)", Assert.Throws<ArgumentException>(() => ItemSnapshotWriter.Write(_dir.File("x.snap"), _ids, nan, D)).Message);
        Assert.Contains("expected 5 rows x 5", Assert.Throws<ArgumentException>(() => ItemSnapshotWriter.Write(_dir.File("x.snap"), _ids, new float[7], D)).Message);
        Assert.False(File.Exists(_dir.File("x.snap")));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }

    [Fact]
    public void Publish_TwoVersions_CurrentFollowsAndOldReaderStaysValid()
    {
        string dir = _dir.File("snapshots");
        ItemSnapshotDirectory.Publish(dir, "2026-11-26", _ids, Matrix(), D);
        using var old = ItemSnapshot.OpenCurrent(dir);
        ItemSnapshotDirectory.Publish(dir, "2026-11-27", _ids, Matrix(offset: 100), D);
        using var current = ItemSnapshot.OpenCurrent(dir);
        Assert.EndsWith("2026-11-27.snap", current.Path);
        Assert.Equal(100f, current.Row(0)[0]);
        Assert.Equal(0f, old.Row(0)[0]);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
        ItemSnapshotDirectory.SetCurrent(dir, "2026-11-26");
        Assert.EndsWith("2026-11-26.snap", ItemSnapshotDirectory.ResolveCurrent(dir));
    }

    [Fact]
    public async Task OpenCurrent_WhilePublishing_AlwaysSeesACompleteVerifiedSnapshot()
    {
        string dir = _dir.File("live");
        ItemSnapshotDirectory.Publish(dir, "v0", _ids, Matrix(), D);
        const int versions = 25;
        var writer = Task.Run(() =>
        {
            for (int v = 1; v <= versions; v++)
            {
                ItemSnapshotDirectory.Publish(dir, $"v{v}", _ids, Matrix(offset: v), D);
            }
        });
        int reads = 0;
        while (!writer.IsCompleted || reads == 0)
        {
            using var s = ItemSnapshot.OpenCurrent(dir);
            int version = int.Parse(Path.GetFileNameWithoutExtension(s.Path)[1..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal((float)version, s.Row(0)[0]);
            reads++;
        }
        await writer;
        Assert.True(reads > 0);
        Assert.EndsWith($"v{versions}.snap", ItemSnapshotDirectory.ResolveCurrent(dir));
    }

    [Fact]
    public void ResolveCurrent_MissingOrDanglingPointer_Refused()
    {
        string dir = _dir.File("snaps");
        Directory.CreateDirectory(dir);
        Assert.Contains("no current-snapshot pointer", Assert.Throws<InvalidDataException>(() => ItemSnapshotDirectory.ResolveCurrent(dir)).Message);
        File.WriteAllText(Path.Combine(dir, ItemSnapshotFile.CurrentPointer), "gone.snap\n");
        Assert.Contains("names gone.snap, which does not exist", Assert.Throws<InvalidDataException>(() => ItemSnapshotDirectory.ResolveCurrent(dir)).Message);
        File.WriteAllText(Path.Combine(dir, ItemSnapshotFile.CurrentPointer), "../etc/passwd\n");
        Assert.Contains("expected one file name", Assert.Throws<InvalidDataException>(() => ItemSnapshotDirectory.ResolveCurrent(dir)).Message);
        Assert.Throws<ArgumentException>(() => ItemSnapshotDirectory.Publish(dir, "../evil", _ids, Matrix(), D));
    }

    private static void Patch(string path, int offset, Func<byte, int> change)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] = (byte)change(bytes[offset]);
        File.WriteAllBytes(path, bytes);
    }

    private static void PatchInt64(string path, int offset, long value)
    {
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), value);
        File.WriteAllBytes(path, bytes);
    }

    public void Dispose() => _dir.Dispose();
}

using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;

namespace HierTcn.Formats.Snapshots;

/// <summary>
/// An item snapshot file, memory-mapped read-only: rows are spans over the mapping, never copied. The mapping is
/// backed by the file, so several processes that open the same file share one copy in the page cache.
/// Thread-safe for concurrent readers. Spans obtained from an instance must not be used after <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class ItemSnapshot : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _idsOffset;
    private readonly long _indexOffset;
    private int _disposed;

    private ItemSnapshot(string path, ItemSnapshotHeader header, MemoryMappedFile file, MemoryMappedViewAccessor view,
        byte* basePointer, long idsOffset, long indexOffset)
    {
        Path = path;
        Header = header;
        _file = file;
        _view = view;
        _base = basePointer;
        _idsOffset = idsOffset;
        _indexOffset = indexOffset;
    }

    /// <summary>The file this snapshot maps.</summary>
    public string Path { get; }

    public ItemSnapshotHeader Header { get; }

    /// <summary>N, the number of items (rows).</summary>
    public int Count => (int)Header.Rows;

    /// <summary>d, floats per row.</summary>
    public int Dimension => Header.Dimension;

    /// <summary>The whole N x d matrix, row-major.</summary>
    public ReadOnlySpan<float> Matrix => new(_base + ItemSnapshotFile.HeaderSize, checked(Count * Dimension));

    /// <summary>Address of the matrix inside the mapping (64-byte aligned), valid until <see cref="Dispose"/>; for
    /// handing the matrix to native code (an ONNX Runtime tensor) without a copy.</summary>
    public IntPtr MatrixPointer => (IntPtr)(_base + ItemSnapshotFile.HeaderSize);

    /// <summary>External item id of each row.</summary>
    public ReadOnlySpan<long> ItemIds => new(_base + _idsOffset, Count);

    private ReadOnlySpan<int> Index => new(_base + _indexOffset, Count);

    /// <summary>The embedding of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Count);
        return new ReadOnlySpan<float>(_base + ItemSnapshotFile.HeaderSize + (long)row * Dimension * 4, Dimension);
    }

    /// <summary>Finds the row of external item id <paramref name="itemId"/> (binary search over the mapped index,
    /// no per-process table).</summary>
    public bool TryGetRow(long itemId, out int row)
    {
        var ids = ItemIds;
        var index = Index;
        int lo = 0, hi = index.Length - 1;
        while (lo <= hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            long id = ids[index[mid]];
            if (id == itemId)
            {
                row = index[mid];
                return true;
            }
            if (id < itemId)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        row = -1;
        return false;
    }

    /// <summary>Opens the snapshot that the directory's <see cref="ItemSnapshotFile.CurrentPointer"/> names.</summary>
    public static ItemSnapshot OpenCurrent(string directory, bool verifyChecksum = true) =>
        Open(ItemSnapshotDirectory.ResolveCurrent(directory), verifyChecksum);

    /// <summary>Maps <paramref name="path"/> after checking its header, sizes, id map and (unless
    /// <paramref name="verifyChecksum"/> is false) its SHA-256.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid snapshot; the message names the file and the
    /// problem.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static ItemSnapshot Open(string path, bool verifyChecksum = true)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: item snapshot not found", path);
        }
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        long actualLength = stream.Length;
        if (actualLength < ItemSnapshotFile.HeaderSize)
        {
            stream.Dispose();
            throw Bad(path, $"truncated: {actualLength} bytes, shorter than the {ItemSnapshotFile.HeaderSize}-byte header");
        }
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        byte* p = null;
        try
        {
            file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            byte* basePointer = p + view.PointerOffset;
            var (header, idsOffset, indexOffset) = Validate(path, basePointer, actualLength, verifyChecksum);
            return new ItemSnapshot(path, header, file, view, basePointer, idsOffset, indexOffset);
        }
        catch
        {
            if (p != null)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }
            view?.Dispose();
            if (file is null)
            {
                stream.Dispose();
            }
            file?.Dispose();
            throw;
        }
    }

    /// <summary>Checks a snapshot file fully (header, sizes, id map, checksum) and returns its header.</summary>
    public static ItemSnapshotHeader Verify(string path)
    {
        using var snapshot = Open(path, verifyChecksum: true);
        return snapshot.Header;
    }

    private static (ItemSnapshotHeader Header, long IdsOffset, long IndexOffset) Validate(string path, byte* b, long actualLength,
        bool verifyChecksum)
    {
        var h = new ReadOnlySpan<byte>(b, ItemSnapshotFile.HeaderSize);
        if (!h[..8].SequenceEqual(ItemSnapshotFile.Magic))
        {
            throw Bad(path, "not an item snapshot (bad magic; expected \"HTCNSNAP\")");
        }
        int version = BinaryPrimitives.ReadInt32LittleEndian(h[8..]);
        if (version != ItemSnapshotFile.FormatVersion)
        {
            throw Bad(path, $"format version {version}; this reader knows version {ItemSnapshotFile.FormatVersion}");
        }
        int dtype = BinaryPrimitives.ReadInt32LittleEndian(h[12..]);
        if (dtype != ItemSnapshotFile.Float32)
        {
            throw Bad(path, $"element type code {dtype}; only float32 (code {ItemSnapshotFile.Float32}) is supported");
        }
        long rows = BinaryPrimitives.ReadInt64LittleEndian(h[16..]);
        int dim = BinaryPrimitives.ReadInt32LittleEndian(h[24..]);
        long created = BinaryPrimitives.ReadInt64LittleEndian(h[32..]);
        long matrixOffset = BinaryPrimitives.ReadInt64LittleEndian(h[40..]);
        long idCount = BinaryPrimitives.ReadInt64LittleEndian(h[48..]);
        long idsOffset = BinaryPrimitives.ReadInt64LittleEndian(h[56..]);
        long indexOffset = BinaryPrimitives.ReadInt64LittleEndian(h[64..]);
        long fileLength = BinaryPrimitives.ReadInt64LittleEndian(h[72..]);
        if (rows < 0 || rows > int.MaxValue || dim <= 0 || rows * dim > int.MaxValue)
        {
            throw Bad(path, $"bad dimensions: N = {rows} rows, d = {dim}");
        }
        if (idCount != rows)
        {
            throw Bad(path, $"id map has {idCount} entries but the matrix has {rows} rows");
        }
        long expectedIds = ItemSnapshotFile.Align(ItemSnapshotFile.HeaderSize + rows * dim * 4);
        long expectedIndex = ItemSnapshotFile.Align(expectedIds + rows * 8);
        long expectedLength = ItemSnapshotFile.Align(expectedIndex + rows * 4);
        if (matrixOffset != ItemSnapshotFile.HeaderSize || idsOffset != expectedIds || indexOffset != expectedIndex
            || fileLength != expectedLength)
        {
            throw Bad(path, $"section offsets disagree with N = {rows}, d = {dim} (matrix at {matrixOffset}, ids at {idsOffset}, "
                + $"index at {indexOffset}, length {fileLength}; expected {ItemSnapshotFile.HeaderSize}, {expectedIds}, "
                + $"{expectedIndex}, {expectedLength})");
        }
        if (actualLength != fileLength)
        {
            throw Bad(path, actualLength < fileLength
                ? $"truncated: {actualLength} bytes, the header says {fileLength}"
                : $"{actualLength - fileLength} unexpected bytes after the {fileLength} the header declares");
        }
        string stored = Convert.ToHexStringLower(h.Slice(ItemSnapshotFile.ChecksumOffset, 32));
        if (verifyChecksum)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(h[..ItemSnapshotFile.ChecksumOffset]);
            const int chunk = 1 << 30;
            for (long at = ItemSnapshotFile.HeaderSize; at < fileLength; at += chunk)
            {
                hash.AppendData(new ReadOnlySpan<byte>(b + at, (int)Math.Min(chunk, fileLength - at)));
            }
            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != stored)
            {
                throw Bad(path, $"checksum mismatch: the header says {stored}, the content hashes to {actual}");
            }
        }
        var ids = new ReadOnlySpan<long>(b + idsOffset, (int)rows);
        var index = new ReadOnlySpan<int>(b + indexOffset, (int)rows);
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)rows)
            {
                throw Bad(path, $"id index entry {i} points at row {index[i]}, outside the {rows} rows");
            }
            if (i > 0 && ids[index[i]] <= ids[index[i - 1]])
            {
                throw Bad(path, $"id index is not strictly ascending at entry {i} (item id {ids[index[i]]})");
            }
        }
        return (new ItemSnapshotHeader(version, rows, dim, created, stored), idsOffset, indexOffset);
    }

    private static InvalidDataException Bad(string path, string problem) => new($"{path}: {problem}");

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}

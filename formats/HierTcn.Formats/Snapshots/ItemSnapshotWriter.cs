using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using HierTcn.Formats.Internal;

namespace HierTcn.Formats.Snapshots;

/// <summary>Writes item snapshot files (<see cref="ItemSnapshotFile"/>). A file appears at its path complete and
/// fsynced, or not at all.</summary>
public static class ItemSnapshotWriter
{
    /// <summary>Writes the snapshot of <paramref name="ids"/>.Length items to <paramref name="path"/> atomically.</summary>
    /// <param name="path">Target file; replaced if present.</param>
    /// <param name="ids">External item id of each row; must be distinct.</param>
    /// <param name="matrix">Row-major N x <paramref name="dimension"/> floats, all finite.</param>
    /// <param name="dimension">d.</param>
    /// <param name="created">Creation time recorded in the header; now when null.</param>
    /// <exception cref="ArgumentException">Sizes disagree, an id repeats or a value is not finite.</exception>
    public static ItemSnapshotHeader Write(string path, ReadOnlySpan<long> ids, ReadOnlySpan<float> matrix, int dimension,
        DateTimeOffset? created = null)
    {
        if (dimension <= 0)
        {
            throw new ArgumentException($"dimension must be positive, got {dimension}", nameof(dimension));
        }
        long rows = ids.Length;
        if (matrix.Length != rows * dimension)
        {
            throw new ArgumentException($"matrix has {matrix.Length} floats, expected {rows} rows x {dimension} = {rows * dimension}");
        }
        for (int i = 0; i < matrix.Length; i++)
        {
            if (!float.IsFinite(matrix[i]))
            {
                throw new ArgumentException($"row {i / dimension} (item {ids[i / dimension]}) has a non-finite value {matrix[i]}");
            }
        }
        int[] index = SortedIndex(ids);

        long matrixOffset = ItemSnapshotFile.HeaderSize;
        long idsOffset = ItemSnapshotFile.Align(matrixOffset + matrix.Length * 4L);
        long indexOffset = ItemSnapshotFile.Align(idsOffset + rows * 8);
        long fileLength = ItemSnapshotFile.Align(indexOffset + rows * 4);
        long createdMs = (created ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();

        var header = new byte[ItemSnapshotFile.HeaderSize];
        ItemSnapshotFile.Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), ItemSnapshotFile.FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), ItemSnapshotFile.Float32);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), rows);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(24), dimension);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), createdMs);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(40), matrixOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(48), rows);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(56), idsOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(64), indexOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(72), fileLength);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(header, 0, ItemSnapshotFile.ChecksumOffset);
        string temp = AtomicFile.TempPath(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                stream.Write(header);
                WriteHashed(stream, hash, MemoryMarshal.AsBytes(matrix));
                PadHashed(stream, hash, idsOffset);
                WriteHashed(stream, hash, MemoryMarshal.AsBytes(ids));
                PadHashed(stream, hash, indexOffset);
                WriteHashed(stream, hash, MemoryMarshal.AsBytes(index.AsSpan()));
                PadHashed(stream, hash, fileLength);
                byte[] checksum = hash.GetHashAndReset();
                stream.Position = ItemSnapshotFile.ChecksumOffset;
                stream.Write(checksum);
                stream.Flush(flushToDisk: true);
                checksum.CopyTo(header, ItemSnapshotFile.ChecksumOffset);
            }
            AtomicFile.Publish(temp, path);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        string hex = Convert.ToHexStringLower(header.AsSpan(ItemSnapshotFile.ChecksumOffset, 32));
        return new ItemSnapshotHeader(ItemSnapshotFile.FormatVersion, rows, dimension, createdMs, hex);
    }

    private static int[] SortedIndex(ReadOnlySpan<long> ids)
    {
        var index = new int[ids.Length];
        for (int i = 0; i < index.Length; i++)
        {
            index[i] = i;
        }
        long[] keys = ids.ToArray();
        Array.Sort(keys, index);
        for (int i = 1; i < keys.Length; i++)
        {
            if (keys[i] == keys[i - 1])
            {
                throw new ArgumentException($"item id {keys[i]} appears twice (rows {index[i - 1]} and {index[i]})");
            }
        }
        return index;
    }

    private static void WriteHashed(FileStream stream, IncrementalHash hash, ReadOnlySpan<byte> bytes)
    {
        stream.Write(bytes);
        hash.AppendData(bytes);
    }

    private static void PadHashed(FileStream stream, IncrementalHash hash, long to)
    {
        Span<byte> zeros = stackalloc byte[ItemSnapshotFile.Alignment];
        zeros.Clear();
        int count = checked((int)(to - stream.Position));
        WriteHashed(stream, hash, zeros[..count]);
    }
}

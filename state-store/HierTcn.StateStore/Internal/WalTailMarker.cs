using System.Buffers.Binary;
using HierTcn.Formats;
using Microsoft.Win32.SafeHandles;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// The WAL's commit file, <c>wal/tail</c>: after every commit, the end address and the last sequence number made
/// durable (int64, int64, then the CRC-32C of both; 20 bytes, rewritten in place). The WAL itself needs no commit
/// file (its end is where the valid frames end); this one only lets recovery notice that acknowledged entries at the
/// WAL's end are missing (cut or damaged), and count them. It is written after the WAL data, without a sync: after a
/// power loss it may lag, never lead.
/// </summary>
internal sealed class WalTailMarker : IDisposable
{
    public const string FileName = "tail";
    private const int Size = 20;
    private readonly SafeFileHandle _handle;
    private readonly byte[] _buffer = new byte[Size];

    private WalTailMarker(SafeFileHandle handle) => _handle = handle;

    /// <summary>Opens (creating) the marker for writing; a longer, damaged file is cut to size.</summary>
    public static WalTailMarker Open(string directory)
    {
        var handle = File.OpenHandle(Path.Combine(directory, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (RandomAccess.GetLength(handle) > Size)
            RandomAccess.SetLength(handle, Size);
        return new WalTailMarker(handle);
    }

    /// <summary>Reads the marker in <paramref name="directory"/>: null when there is none; <paramref name="problem"/>
    /// says why one that exists is unusable.</summary>
    public static (long Tail, long LastSequence)? Read(string directory, out string? problem)
    {
        problem = null;
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            return null;
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != Size)
        {
            problem = $"{path} is {bytes.Length} bytes, not {Size}";
            return null;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)) != Crc32C.Compute(bytes.AsSpan(0, 16)))
        {
            problem = $"{path} fails its checksum";
            return null;
        }
        return (BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)));
    }

    /// <summary>Records that everything before <paramref name="tail"/>, up to <paramref name="lastSequence"/>, is
    /// durable. Called by the committer only.</summary>
    public void Write(long tail, long lastSequence)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer, tail);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(8), lastSequence);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(16), Crc32C.Compute(_buffer.AsSpan(0, 16)));
        RandomAccess.Write(_handle, _buffer, 0);
    }

    public void Dispose() => _handle.Dispose();
}

namespace HierTcn.Formats.Snapshots;

/// <summary>
/// Layout of an item snapshot file (all little-endian). A 128-byte header:
/// <list type="table">
/// <item><term>0</term><description>magic "HTCNSNAP" (8 bytes)</description></item>
/// <item><term>8</term><description>int32 format version (1)</description></item>
/// <item><term>12</term><description>int32 element type, ONNX's code: 1 = float32 (the only one)</description></item>
/// <item><term>16</term><description>int64 N, rows of the matrix</description></item>
/// <item><term>24</term><description>int32 d, floats per row; int32 zero</description></item>
/// <item><term>32</term><description>int64 creation time, Unix ms UTC</description></item>
/// <item><term>40</term><description>int64 byte offset of the matrix (64-byte aligned)</description></item>
/// <item><term>48</term><description>int64 entries of the id map</description></item>
/// <item><term>56</term><description>int64 byte offset of the ids: int64[entries], the external id of each row</description></item>
/// <item><term>64</term><description>int64 byte offset of the index: int32[entries], rows in ascending id order</description></item>
/// <item><term>72</term><description>int64 file length in bytes</description></item>
/// <item><term>80</term><description>SHA-256 (32 bytes) over bytes [0, 80) and [128, file length)</description></item>
/// </list>
/// Then the N x d float32 matrix (row-major), the ids and the index, each 64-byte aligned so the matrix can be
/// memory-mapped and handed to a BLAS or ONNX Runtime as is.
/// </summary>
public static class ItemSnapshotFile
{
    public const int FormatVersion = 1;
    public const int HeaderSize = 128;
    public const int Alignment = 64;
    public const int Float32 = 1;
    public const int ChecksumOffset = 80;
    public const string Extension = ".snap";
    /// <summary>The pointer file in a snapshot directory: one line, the file name of the current snapshot.</summary>
    public const string CurrentPointer = "CURRENT";
    public static ReadOnlySpan<byte> Magic => "HTCNSNAP"u8;

    internal static long Align(long x) => (x + Alignment - 1) / Alignment * Alignment;
}

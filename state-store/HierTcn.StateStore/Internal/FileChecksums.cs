using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace HierTcn.StateStore.Internal;

/// <summary>CRC-32C (Castagnoli, hardware instruction where there is one) over spans and over byte ranges of files.
/// FASTER keeps no checksums on its store log or checkpoint files; the engine keeps its own.</summary>
internal static class FileChecksums
{
    public static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        crc = ~crc;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++)
            crc = BitOperations.Crc32C(crc, data[i]);
        return ~crc;
    }

    public static uint Crc(ReadOnlySpan<byte> data) => Crc(0, data);

    /// <summary>CRC of <paramref name="length"/> bytes of <paramref name="path"/> from <paramref name="offset"/>; null
    /// when the file is missing or shorter.</summary>
    public static uint? CrcOfRange(string path, long offset, long length)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, Options = FileOptions.SequentialScan });
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        using (file)
        {
            if (file.Length < offset + length)
                return null;
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                file.Position = offset;
                uint crc = 0;
                long left = length;
                while (left > 0)
                {
                    int read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                    if (read <= 0)
                        return null;
                    crc = Crc(crc, buffer.AsSpan(0, read));
                    left -= read;
                }
                return crc;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}

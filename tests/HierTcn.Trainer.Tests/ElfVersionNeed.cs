using System.Buffers.Binary;
using System.Text;

namespace HierTcn.Trainer.Tests;

/// <summary>Reads the flags of one version requirement (Vernaux) of an ELF64 shared library, independently of the
/// build task that writes them.</summary>
internal static class ElfVersionNeed
{
    public static ushort? Flags(string path, string version)
    {
        byte[] b = File.ReadAllBytes(path);
        var s = b.AsSpan();
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(s[0x28..]);
        int entsize = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3A..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3C..]);
        for (int i = 0; i < count; i++)
        {
            int sh = (int)(shoff + i * entsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(s[(sh + 4)..]) != 0x6ffffffe)
            {
                continue;
            }
            int off = (int)BinaryPrimitives.ReadUInt64LittleEndian(s[(sh + 24)..]);
            int n = (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(sh + 44)..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(sh + 40)..]);
            int str = (int)BinaryPrimitives.ReadUInt64LittleEndian(s[(int)(shoff + link * entsize + 24)..]);
            for (int v = 0; v < n; v++)
            {
                int cnt = BinaryPrimitives.ReadUInt16LittleEndian(s[(off + 2)..]);
                int aux = off + (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(off + 8)..]);
                for (int a = 0; a < cnt; a++)
                {
                    int name = str + (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(aux + 8)..]);
                    int end = Array.IndexOf(b, (byte)0, name);
                    if (Encoding.ASCII.GetString(b, name, end - name) == version)
                    {
                        return BinaryPrimitives.ReadUInt16LittleEndian(s[(aux + 4)..]);
                    }
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(aux + 12)..]);
                }
                off += (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(off + 12)..]);
            }
        }
        return null;
    }
}

// Compiled by MSBuild's RoslynCodeTaskFactory (see TorchSharpNative.targets); not part of any project.
#nullable enable
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>Marks the GLIBCXX_3.4.32 version requirement of libLibTorchSharp.so weak when the host libstdc++ lacks
/// that version. Edits two bytes in place and keeps the file's timestamp, so incremental copies stay incremental.</summary>
public sealed class PatchLibTorchSharpGlibcxx : Task
{
    private const string Version = "GLIBCXX_3.4.32";
    private const ushort VerFlagWeak = 0x2;
    private const uint ShtGnuVerneed = 0x6ffffffe;

    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        string? host = HostLibStdCxx();
        if (host != null && Contains(File.ReadAllBytes(host), Encoding.ASCII.GetBytes(Version + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, $"{host} provides {Version}; libLibTorchSharp.so left as shipped.");
            return true;
        }
        foreach (ITaskItem item in Files)
        {
            string path = item.GetMetadata("FullPath");
            try
            {
                string outcome = Patch(path);
                Log.LogMessage(MessageImportance.Normal, $"{path}: {outcome} (host libstdc++: {host ?? "not found"}).");
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.LogError($"{path}: cannot mark {Version} weak: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>The libstdc++ the loader picks for this process (the dotnet host links it), else the usual paths.</summary>
    private static string? HostLibStdCxx()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash >= 0 && line.IndexOf("/libstdc++.so", StringComparison.Ordinal) >= 0)
                {
                    string p = line.Substring(slash).Trim();
                    if (File.Exists(p))
                    {
                        return p;
                    }
                }
            }
        }
        catch (IOException)
        {
        }
        foreach (string p in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" })
        {
            if (File.Exists(p))
            {
                return p;
            }
        }
        return null;
    }

    // Plain loop: the task factory compiles against netstandard, without span helpers.
    private static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j])
            {
                j++;
            }
            if (j == needle.Length)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Sets VER_FLG_WEAK on the Vernaux entry named GLIBCXX_3.4.32; returns what it did.</summary>
    internal static string Patch(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
        {
            throw new InvalidDataException("not an ELF file");
        }
        if (b[4] != 2 || b[5] != 1)
        {
            throw new InvalidDataException("not a little-endian 64-bit ELF file");
        }
        long shoff = (long)U64(b, 0x28);
        int shentsize = U16(b, 0x3A);
        int shnum = U16(b, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            if (U32(b, sh + 4) != ShtGnuVerneed)
            {
                continue;
            }
            long verneed = (long)U64(b, sh + 24);
            uint count = U32(b, sh + 44);
            long strtab = (long)U64(b, shoff + (long)U32(b, sh + 40) * shentsize + 24);
            long vn = verneed;
            for (uint i = 0; i < count; i++)
            {
                int auxCount = U16(b, vn + 2);
                long aux = vn + U32(b, vn + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    if (CString(b, strtab + U32(b, aux + 8)) == Version)
                    {
                        ushort flags = U16(b, aux + 4);
                        if ((flags & VerFlagWeak) != 0)
                        {
                            return $"{Version} already weak";
                        }
                        DateTime stamp = File.GetLastWriteTimeUtc(path);
                        ushort patched = (ushort)(flags | VerFlagWeak);
                        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None))
                        {
                            f.Position = aux + 4;
                            f.WriteByte((byte)(patched & 0xff));
                            f.WriteByte((byte)(patched >> 8));
                        }
                        File.SetLastWriteTimeUtc(path, stamp);
                        return $"marked {Version} weak";
                    }
                    aux += U32(b, aux + 12);
                }
                vn += U32(b, vn + 12);
            }
            return $"no {Version} requirement";
        }
        return "no version requirements";
    }

    private static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);

    private static uint U32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);

    private static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

    private static string CString(byte[] b, long o)
    {
        long end = o;
        while (end < b.Length && b[end] != 0)
        {
            end++;
        }
        return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
    }
}

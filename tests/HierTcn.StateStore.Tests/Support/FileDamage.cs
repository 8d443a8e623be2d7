namespace HierTcn.StateStore.Tests.Support;

/// <summary>Damages files the way disks and operators do: random bytes over a range, a cut tail, an emptied file.</summary>
public static class FileDamage
{
    /// <summary>Overwrites <paramref name="count"/> bytes at <paramref name="offset"/> (clamped to the file) with
    /// seeded random bytes; returns the offset used.</summary>
    public static long RandomBytes(string path, long offset, int count, int seed = 7)
    {
        long length = new FileInfo(path).Length;
        offset = Math.Clamp(offset, 0, Math.Max(0, length - count));
        var garbage = new byte[Math.Min(count, (int)length)];
        new Random(seed).NextBytes(garbage);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.Position = offset;
        file.Write(garbage);
        return offset;
    }

    /// <summary>Cuts <paramref name="count"/> bytes off the end.</summary>
    public static void TruncateTail(string path, int count)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(Math.Max(0, file.Length - count));
    }

    public static void Empty(string path) => File.WriteAllBytes(path, []);
}

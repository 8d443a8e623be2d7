namespace HierTcn.Data;

/// <summary>splitmix64 as PROTOCOL.md section 4 writes it (wrapping arithmetic on unsigned 64-bit values).</summary>
public static class SplitMix64
{
    /// <summary>One splitmix64 output for input <paramref name="x"/>.</summary>
    public static ulong Hash(ulong x)
    {
        unchecked
        {
            ulong z = x + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>The user's point in [0, 1): the top 53 bits of the hash over 2^53.</summary>
    public static double UnitInterval(ulong x) => (Hash(x) >> 11) / 9007199254740992.0;
}

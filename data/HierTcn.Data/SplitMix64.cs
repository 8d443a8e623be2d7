using HierTcn.Formats;

namespace HierTcn.Data;

/// <summary>splitmix64 as PROTOCOL.md section 4 writes it (wrapping arithmetic on unsigned 64-bit values).</summary>
public static class SplitMix64
{
    /// <summary>One splitmix64 output for input <paramref name="x"/>.</summary>
    public static ulong Hash(ulong x) => StableHash.Mix64(x);

    /// <summary>The user's point in [0, 1): the top 53 bits of the hash over 2^53.</summary>
    public static double UnitInterval(ulong x) => (Hash(x) >> 11) / 9007199254740992.0;
}

using System.Text;

namespace HierTcn.Formats;

/// <summary>
/// Stable 64-bit hashes that every process, language and release computes alike (no per-process seeding, unlike
/// <see cref="string.GetHashCode()"/>): A/B assignment and state-store sharding depend on them staying fixed.
/// </summary>
public static class StableHash
{
    /// <summary>FNV-1a, 64-bit, over the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static ulong Fnv1a64(string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            h = unchecked((h ^ b) * 0x100000001B3UL);
        }
        return h;
    }

    /// <summary>The splitmix64 finaliser (PROTOCOL.md section 4 spells it out).</summary>
    public static ulong Mix64(ulong x)
    {
        unchecked
        {
            ulong z = x + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A point in [0, 1) for (<paramref name="salt"/>, <paramref name="userId"/>): the top 53 bits of
    /// Mix64(userId XOR Fnv1a64(salt)) over 2^53.</summary>
    public static double UnitInterval(string salt, long userId) =>
        (Mix64(unchecked((ulong)userId) ^ Fnv1a64(salt)) >> 11) / 9007199254740992.0;
}

using System.Text;

namespace HierTcn.StateStore;

/// <summary>
/// The stable mapping of keys to shards: <see cref="KeyHash"/> then jump consistent hash (Lamping and Veach, 2014)
/// over the shard count. Going from N to N+1 shards moves about 1/(N+1) of the users, all to the new shard.
/// </summary>
public static class ShardHash
{
    /// <summary>FNV-1a 64 over the UTF-8 bytes of <paramref name="modelVersion"/>, XOR <paramref name="userId"/>,
    /// then the SplitMix64 finalizer.</summary>
    public static ulong KeyHash(string modelVersion, long userId)
    {
        ulong h = 14695981039346656037UL;
        Span<byte> buffer = stackalloc byte[256];
        int count = Encoding.UTF8.GetByteCount(modelVersion);
        var bytes = count <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(modelVersion, buffer)] : Encoding.UTF8.GetBytes(modelVersion);
        foreach (byte b in bytes)
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        ulong z = h ^ (ulong)userId;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Jump consistent hash: the bucket in [0, <paramref name="buckets"/>) of <paramref name="key"/>.</summary>
    public static int Jump(ulong key, int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        long b = -1, j = 0;
        while (j < buckets)
        {
            b = j;
            key = key * 2862933555777941757UL + 1;
            j = (long)((b + 1) * ((double)(1L << 31) / ((key >> 33) + 1)));
        }
        return (int)b;
    }

    /// <summary>The shard in [0, <paramref name="shardCount"/>) that holds <paramref name="key"/>.</summary>
    public static int ShardOf(StateKey key, int shardCount) => Jump(key.StableHash, shardCount);
}

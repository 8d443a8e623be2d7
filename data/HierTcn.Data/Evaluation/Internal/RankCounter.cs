using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace HierTcn.Data.Evaluation.Internal;

/// <summary>The ranking hot loop: how many scores of a catalogue row are at least the true item's score.</summary>
internal static class RankCounter
{
    /// <summary>PROTOCOL.md section 7: 1 + the number of other items scoring at least <paramref name="row"/>[<paramref name="trueItem"/>].
    /// The true item always satisfies <c>s &gt;= s</c>, so the count over the whole row is the rank. A NaN true score
    /// ranks last (N); NaN scores of other items never count (every comparison with NaN is false).</summary>
    public static int Rank(ReadOnlySpan<float> row, int trueItem)
    {
        float s = row[trueItem];
        return float.IsNaN(s) ? row.Length : CountAtLeast(row, s);
    }

    /// <summary>Rank within a candidate pool: 1 + the number of distinct pool items other than the true item scoring at
    /// least the true item's score. Returns the pool size counted with the true item in <paramref name="poolSize"/>.</summary>
    public static int PoolRank(ReadOnlySpan<float> row, int trueItem, ReadOnlySpan<int> pool, out int poolSize)
    {
        float s = row[trueItem];
        int others = 0;
        int rank = 1;
        for (int i = 0; i < pool.Length; i++)
        {
            int c = pool[i];
            if (c == trueItem || pool[..i].Contains(c))
            {
                continue;
            }
            others++;
            if (row[c] >= s)
            {
                rank++;
            }
        }
        poolSize = others + 1;
        return float.IsNaN(s) ? poolSize : rank;
    }

    /// <summary>Counts the elements of <paramref name="values"/> that are &gt;= <paramref name="threshold"/>.</summary>
    public static int CountAtLeast(ReadOnlySpan<float> values, float threshold)
    {
        ref float r = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int i = 0;
        int count = 0;
        if (Vector512.IsHardwareAccelerated && n >= 2 * Vector512<float>.Count)
        {
            // Comparison masks are -1 per true lane: subtracting them accumulates counts without a horizontal step per vector.
            var t = Vector512.Create(threshold);
            var acc0 = Vector512<int>.Zero;
            var acc1 = Vector512<int>.Zero;
            for (; i <= n - 2 * Vector512<float>.Count; i += 2 * Vector512<float>.Count)
            {
                acc0 -= Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref r, (nuint)i), t).AsInt32();
                acc1 -= Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref r, (nuint)(i + Vector512<float>.Count)), t).AsInt32();
            }
            count = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 2 * Vector256<float>.Count)
        {
            var t = Vector256.Create(threshold);
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            for (; i <= n - 2 * Vector256<float>.Count; i += 2 * Vector256<float>.Count)
            {
                acc0 -= Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref r, (nuint)i), t).AsInt32();
                acc1 -= Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref r, (nuint)(i + Vector256<float>.Count)), t).AsInt32();
            }
            count = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
        {
            if (Unsafe.Add(ref r, i) >= threshold)
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>The plain loop, kept for tests that check the vector paths against it.</summary>
    public static int CountAtLeastScalar(ReadOnlySpan<float> values, float threshold)
    {
        int count = 0;
        foreach (float v in values)
        {
            if (v >= threshold)
            {
                count++;
            }
        }
        return count;
    }
}

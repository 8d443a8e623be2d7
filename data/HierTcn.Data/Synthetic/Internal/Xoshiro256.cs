namespace HierTcn.Data.Synthetic.Internal;

/// <summary>xoshiro256** seeded through splitmix64: our own generator so a seed gives the same stream on every
/// runtime (System.Random's algorithm is an implementation detail).</summary>
internal struct Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256(ulong seed)
    {
        _s0 = SplitMix64.Hash(seed);
        _s1 = SplitMix64.Hash(_s0);
        _s2 = SplitMix64.Hash(_s1);
        _s3 = SplitMix64.Hash(_s2);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n) (multiply-shift; the bias is below 2^-32 for the sizes used here).</summary>
    public int NextInt(int n) => (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);

    /// <summary>Uniform in [lo, hi] inclusive.</summary>
    public int NextInt(int lo, int hi) => lo + NextInt(hi - lo + 1);

    /// <summary>Standard normal (Box-Muller, one of the pair).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Exponential with the given mean.</summary>
    public double NextExponential(double mean) => -mean * Math.Log(1.0 - NextDouble());
}

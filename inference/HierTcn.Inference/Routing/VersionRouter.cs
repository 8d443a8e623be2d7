using HierTcn.Formats;

namespace HierTcn.Inference.Routing;

/// <summary>
/// Assigns each user to one model version, stickily: the user's point <c>StableHash.UnitInterval(salt, userId)</c>
/// in [0, 1) falls into one arm of the cumulative, normalised weights (arms in the configured order). The same salt,
/// weights and order give the same arm in every process and after every restart; changing the salt reshuffles.
/// Immutable and thread-safe.
/// </summary>
public sealed class VersionRouter
{
    private readonly string[] _versions;
    private readonly double[] _upper;

    /// <summary>Creates a router. Throws <see cref="ArgumentException"/> for no arms, a negative or non-finite
    /// weight, all-zero weights, or a version named twice.</summary>
    public VersionRouter(string salt, IReadOnlyList<VersionWeight> arms)
    {
        ArgumentNullException.ThrowIfNull(salt);
        if (arms.Count == 0)
        {
            throw new ArgumentException("at least one model version is needed", nameof(arms));
        }
        double total = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var arm in arms)
        {
            if (string.IsNullOrWhiteSpace(arm.Version))
            {
                throw new ArgumentException("a model version name is empty", nameof(arms));
            }
            if (!double.IsFinite(arm.Weight) || arm.Weight < 0)
            {
                throw new ArgumentException($"weight of '{arm.Version}' is {arm.Weight}; weights are finite and >= 0", nameof(arms));
            }
            if (!seen.Add(arm.Version))
            {
                throw new ArgumentException($"model version '{arm.Version}' is listed twice", nameof(arms));
            }
            total += arm.Weight;
        }
        if (total <= 0)
        {
            throw new ArgumentException("all weights are zero", nameof(arms));
        }
        Salt = salt;
        _versions = arms.Select(a => a.Version).ToArray();
        _upper = new double[arms.Count];
        double cumulative = 0;
        for (int i = 0; i < arms.Count; i++)
        {
            cumulative += arms[i].Weight / total;
            _upper[i] = cumulative;
        }
        // The last arm with weight owns the rounding remainder up to 1.
        int last = arms.Count - 1;
        while (arms[last].Weight == 0)
        {
            last--;
        }
        for (int i = last; i < _upper.Length; i++)
        {
            _upper[i] = 1.0;
        }
    }

    public string Salt { get; }

    public IReadOnlyList<string> Versions => _versions;

    /// <summary>The version user <paramref name="userId"/> is assigned to.</summary>
    public string Assign(long userId)
    {
        double f = StableHash.UnitInterval(Salt, userId);
        for (int i = 0; i < _upper.Length; i++)
        {
            if (f < _upper[i])
            {
                return _versions[i];
            }
        }
        return _versions[^1];
    }
}

namespace HierTcn.Exporter;

/// <summary>A model's weights by their state_dict names (CONTRACT.md), as the exporter reads them. Lookups check
/// shapes, so a run whose weights do not fit the expected architecture is refused with the offending name.</summary>
public sealed class ModelWeights
{
    private readonly IReadOnlyDictionary<string, WeightTensor> _tensors;

    public ModelWeights(IReadOnlyDictionary<string, WeightTensor> tensors)
    {
        foreach (var (name, t) in tensors)
        {
            long count = t.Shape.Aggregate(1L, (a, b) => a * b);
            if (count != t.Data.Length)
            {
                throw new ArgumentException($"weight {name}: shape {t} holds {count} values, data has {t.Data.Length}");
            }
        }
        _tensors = tensors;
    }

    public IEnumerable<string> Names => _tensors.Keys;

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The weight <paramref name="name"/> whatever its shape.</summary>
    /// <exception cref="InvalidDataException">Missing.</exception>
    public WeightTensor this[string name] =>
        _tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"weight {name} is missing");

    /// <summary>The weight <paramref name="name"/>, whose shape must be <paramref name="shape"/> (-1 matches any size).</summary>
    /// <exception cref="InvalidDataException">Missing, or of another shape.</exception>
    public WeightTensor Get(string name, params int[] shape)
    {
        if (!_tensors.TryGetValue(name, out var t))
        {
            throw new InvalidDataException($"weight {name} is missing");
        }
        if (t.Shape.Length != shape.Length || t.Shape.Zip(shape).Any(p => p.Second >= 0 && p.First != p.Second))
        {
            throw new InvalidDataException($"weight {name} has shape {t}, expected [{string.Join(", ", shape.Select(s => s < 0 ? "*" : s.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]");
        }
        int bad = Array.FindIndex(t.Data, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new InvalidDataException($"weight {name} has a non-finite value at flat index {bad}");
        }
        return t;
    }
}

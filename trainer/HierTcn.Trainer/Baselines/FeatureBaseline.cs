using HierTcn.Data;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Trainer.Baselines;

/// <summary>
/// The paper's baselines for items with fixed feature vectors (the Pinterest setting, section 4.2.2), on cosine
/// similarity of the dataset's item vectors:
/// <list type="bullet">
/// <item><term>MV</term><description>score(i) = cos(mean of the user's past item vectors, f_i).</description></item>
/// <item><term>MaxItem</term><description>score(i) = max over the user's past items j of cos(f_j, f_i).</description></item>
/// </list>
/// "Past" is every event of the user before the scored one, capped at the most recent <see cref="History"/>.
/// Nothing is fitted: the item vectors come from the dataset.
/// </summary>
public sealed class FeatureBaseline : IRankingModel
{
    private readonly float[] _unit;   // [N, d] unit-length rows
    private readonly int _dim;
    private readonly int _items;
    private readonly bool _max;

    private FeatureBaseline(string name, float[] unit, int items, int dim, bool max, int history)
    {
        Name = name;
        _unit = unit;
        _items = items;
        _dim = dim;
        _max = max;
        History = history;
    }

    public string Name { get; }

    /// <summary>Most recent past events read per query; default 200.</summary>
    public int History { get; }

    public IReadOnlyDictionary<string, object?> HyperParameters => new Dictionary<string, object?> { ["history"] = History, ["similarity"] = "cosine" };

    /// <summary>"mv" or "maxitem" over <paramref name="data"/>'s item vectors.</summary>
    public static FeatureBaseline Create(string name, PreparedDataset data, int history = 200)
    {
        if (data.ItemFeatureDim == 0)
        {
            throw new UserInputException($"{name}: {data.Directory} has no item features (prepare it with --items).");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(history, 1);
        int d = data.ItemFeatureDim;
        int n = data.ItemCount;
        var unit = data.ItemFeatures.ToArray();
        for (int i = 0; i < n; i++)
        {
            var row = unit.AsSpan(i * d, d);
            double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot<float>(row, row));
            if (norm > 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, (float)(1 / norm), row);
            }
        }
        return name switch
        {
            "mv" => new FeatureBaseline("mv", unit, n, d, max: false, history),
            "maxitem" => new FeatureBaseline("maxitem", unit, n, d, max: true, history),
            _ => throw new UserInputException($"--model {name}: expected mv or maxitem."),
        };
    }

    public void Score(PreparedDataset data, ReadOnlySpan<ScoreQuery> queries, Span<float> scores)
    {
        var items = data.EventItems;
        var mean = new float[_dim];
        var sims = new float[_items];
        for (int q = 0; q < queries.Length; q++)
        {
            var row = scores.Slice(q * _items, _items);
            int first = Math.Max(data.UserEvents(queries[q].User).Start, queries[q].Event - History);
            if (_max)
            {
                row.Fill(float.NegativeInfinity);
                for (int e = first; e < queries[q].Event; e++)
                {
                    Similarities(_unit.AsSpan(items[e] * _dim, _dim), sims);
                    System.Numerics.Tensors.TensorPrimitives.Max(row, sims, row);
                }
            }
            else
            {
                Array.Clear(mean);
                for (int e = first; e < queries[q].Event; e++)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(mean, _unit.AsSpan(items[e] * _dim, _dim), mean);
                }
                float norm = System.Numerics.Tensors.TensorPrimitives.Norm<float>(mean);
                if (norm > 0)
                {
                    System.Numerics.Tensors.TensorPrimitives.Multiply(mean, 1 / norm, mean);
                }
                Similarities(mean, row);
            }
        }
    }

    private void Similarities(ReadOnlySpan<float> v, Span<float> output)
    {
        for (int i = 0; i < _items; i++)
        {
            output[i] = System.Numerics.Tensors.TensorPrimitives.Dot(v, _unit.AsSpan(i * _dim, _dim));
        }
    }
}

using static TorchSharp.torch;

namespace HierTcn.Trainer.Models;

/// <summary>
/// Where item vectors come from. ID setting (the paper's XING setting): a learned embedding per dense item id.
/// Feature setting (the Pinterest setting): fixed vectors, one row per item, optionally projected by a trained linear
/// layer. The fixed vectors are not weights: they stay out of the state dict and come from the dataset.
/// </summary>
public sealed class ItemSource
{
    private ItemSource(int count, float[]? features, int featureDim)
    {
        Count = count;
        Features = features;
        FeatureDim = featureDim;
    }

    /// <summary>Catalogue size N.</summary>
    public int Count { get; }

    /// <summary>Row-major [N, FeatureDim] fixed vectors, or null in the ID setting.</summary>
    public float[]? Features { get; }

    public int FeatureDim { get; }

    public bool HasFeatures => Features is not null;

    public static ItemSource Ids(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new ItemSource(count, null, 0);
    }

    public static ItemSource FromFeatures(float[] features, int count, int dim)
    {
        if ((long)count * dim != features.Length)
        {
            throw new ArgumentException($"{features.Length} feature values for {count} items of dimension {dim}");
        }
        return new ItemSource(count, features, dim);
    }

    /// <summary>The fixed vectors as a tensor [N, FeatureDim] (feature setting only).</summary>
    internal Tensor FeatureTensor() => tensor(Features ?? throw new InvalidOperationException("ID setting has no features"), [Count, FeatureDim]);
}

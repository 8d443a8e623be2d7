using HierTcn.Data.Dataset;

namespace HierTcn.Data.Preparation.Internal;

/// <summary>The catalogue of a prepared dataset, for PROTOCOL.md section 9: its external ids (dense id order), the
/// reverse map, its input's sha256 and its item features, if any.</summary>
internal sealed class ParentCatalogue
{
    public required long[] ItemIds { get; init; }
    public required Dictionary<long, int> DenseIds { get; init; }
    public required string InputSha256 { get; init; }
    public float[]? Features { get; init; }
    public int FeatureDim { get; init; }

    public static ParentCatalogue Load(string directory)
    {
        PreparedDataset parent;
        try
        {
            parent = PreparedDataset.Open(directory);
        }
        catch (InvalidDataException e)
        {
            throw new UserInputException($"--catalog-from {directory}: {e.Message}", e);
        }
        using (parent)
        {
            if (parent.Header.SplitKind == SplitKind.Score)
            {
                throw new UserInputException($"--catalog-from {directory}: a section 9 dataset itself; name the dataset whose catalogue it uses");
            }
            long[] ids = parent.ItemIds.ToArray();
            var map = new Dictionary<long, int>(ids.Length);
            for (int i = 0; i < ids.Length; i++)
            {
                map[ids[i]] = i;
            }
            return new ParentCatalogue
            {
                ItemIds = ids,
                DenseIds = map,
                InputSha256 = parent.Header.InputSha256,
                Features = parent.ItemFeatureDim > 0 ? parent.ItemFeatures.ToArray() : null,
                FeatureDim = parent.ItemFeatureDim,
            };
        }
    }
}

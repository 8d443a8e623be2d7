using System.Text.Json.Serialization;

namespace HierTcn.Trainer.Losses;

/// <summary>Loss and negatives. Defaults: full-catalogue cross-entropy (the paper's XING setting).</summary>
public sealed record LossOptions
{
    [JsonPropertyName("loss")] public LossKind Kind { get; init; } = LossKind.CrossEntropy;
    /// <summary>Cross-entropy only: softmax over the positive and sampled negatives instead of the whole catalogue.
    /// Default false.</summary>
    [JsonPropertyName("sampled_softmax")] public bool SampledSoftmax { get; init; }
    /// <summary>Sampled negatives per position (NCE, BPR, hinge, sampled softmax); default 100.</summary>
    [JsonPropertyName("negatives")] public int Negatives { get; init; } = 100;
    /// <summary>Sampling weight popularity^alpha; 0 (default) is uniform over the catalogue.</summary>
    [JsonPropertyName("popularity_alpha")] public double PopularityAlpha { get; init; }
    /// <summary>Use the items shown with the event (impressions) as its negatives when the dataset has them;
    /// default true.</summary>
    [JsonPropertyName("use_impressions")] public bool UseImpressions { get; init; } = true;
    /// <summary>Hinge margin; default 1.</summary>
    [JsonPropertyName("margin")] public double Margin { get; init; } = 1.0;

    /// <summary>Whether this loss needs negatives at all.</summary>
    [JsonIgnore]
    public bool NeedsNegatives => Kind switch
    {
        LossKind.CrossEntropy => SampledSoftmax,
        LossKind.L2 => false,
        _ => true,
    };

    public void Validate()
    {
        if (NeedsNegatives && Negatives < 1)
        {
            throw new Data.UserInputException($"--negatives {Negatives}: the {Kind} loss needs at least one negative.");
        }
        if (PopularityAlpha < 0)
        {
            throw new Data.UserInputException($"--popularity-alpha {PopularityAlpha}: must be >= 0.");
        }
        if (Margin < 0)
        {
            throw new Data.UserInputException($"--margin {Margin}: must be >= 0.");
        }
    }
}

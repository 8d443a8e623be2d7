using static TorchSharp.torch;

namespace HierTcn.Trainer.Losses;

/// <summary>Negative items per scored position: ids [P, K] int64, mask [P, K] bool (false for padding), and the
/// log-probability with which each was drawn [P, K] (0 for impressions, which are not sampled), used by sampled
/// softmax to correct its logits.</summary>
public sealed record Negatives(Tensor Ids, Tensor Mask, Tensor LogProbability);

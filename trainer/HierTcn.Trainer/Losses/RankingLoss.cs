using HierTcn.Trainer.Models.Internal;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Losses;

/// <summary>The losses of paper section 3.5.2 over P scored positions. Every loss is a mean over positions.</summary>
public static class RankingLoss
{
    /// <param name="options">Which loss.</param>
    /// <param name="user">u [P, d].</param>
    /// <param name="targets">Positive item ids [P] int64.</param>
    /// <param name="items">All item vectors [N, d].</param>
    /// <param name="negatives">Negatives for each position; required when <see cref="LossOptions.NeedsNegatives"/>.</param>
    /// <param name="bias">Per-item score bias [N] added to every score (not to the L2 loss's distance), or null.</param>
    public static Tensor Compute(LossOptions options, Tensor user, Tensor targets, Tensor items, Negatives? negatives, Tensor? bias = null)
    {
        if (options.IsFullCrossEntropy)
        {
            Tensor logits = user.matmul(items.t());
            return nn.functional.cross_entropy(bias is null ? logits : Arith.AddInPlace(logits, bias), targets,
                label_smoothing: options.LabelSmoothing);
        }
        Tensor positive = items.index_select(0, targets);                       // [P, d]
        if (options.Kind == LossKind.L2)
        {
            return Arith.Sub(user, positive).square().sum(-1).mean();
        }
        if (negatives is null)
        {
            throw new ArgumentException($"the {options.Kind} loss needs negatives", nameof(negatives));
        }
        Tensor pos = (user * positive).sum(-1);                                 // [P]
        long p = negatives.Ids.shape[0];
        long k = negatives.Ids.shape[1];
        Tensor negVectors = items.index_select(0, negatives.Ids.flatten()).view(p, k, -1);
        Tensor neg = (negVectors * user.unsqueeze(1)).sum(-1);                  // [P, K]
        if (bias is not null)
        {
            pos = Arith.Add(pos, bias.index_select(0, targets));
            neg = Arith.Add(neg, bias.index_select(0, negatives.Ids.flatten()).view(p, k));
        }
        // Negatives that are the positive itself are dropped, as are padding slots.
        Tensor mask = negatives.Mask.logical_and(negatives.Ids.ne(targets.unsqueeze(1)));
        Tensor maskF = mask.to(user.dtype);
        Tensor count = Arith.ClampMin(maskF.sum(-1), 1);
        switch (options.Kind)
        {
            case LossKind.CrossEntropy:
                {
                    Tensor logits = cat([pos.unsqueeze(1), Arith.MaskedFill(Arith.Sub(neg, negatives.LogProbability), mask.logical_not(), double.NegativeInfinity)], 1);
                    return -logits.log_softmax(1).select(1, 0).mean();
                }
            case LossKind.Nce:
                {
                    Tensor negTerm = (nn.functional.logsigmoid(neg.neg()) * maskF).sum(-1);
                    return -Arith.Add(nn.functional.logsigmoid(pos), negTerm).mean();
                }
            case LossKind.Bpr:
                {
                    Tensor terms = nn.functional.logsigmoid(Arith.Sub(pos.unsqueeze(1), neg)) * maskF;
                    return -(terms.sum(-1) / count).mean();
                }
            case LossKind.Hinge:
                {
                    Tensor terms = Arith.ClampMin(Arith.Plus(Arith.Sub(neg, pos.unsqueeze(1)), options.Margin), 0) * maskF;
                    return (terms.sum(-1) / count).mean();
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(options));
        }
    }
}

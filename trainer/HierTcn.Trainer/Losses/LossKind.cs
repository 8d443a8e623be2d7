namespace HierTcn.Trainer.Losses;

/// <summary>The training losses of paper section 3.5.2, on scores s(i) = u . e_i.</summary>
public enum LossKind
{
    /// <summary>Softmax cross-entropy: over the whole catalogue, or over the positive and the negatives (sampled
    /// softmax, with the log-probability correction for sampled negatives).</summary>
    CrossEntropy,
    /// <summary>Squared distance between u and the positive's vector: ||u - e+||^2.</summary>
    L2,
    /// <summary>Negative sampling / NCE: -log s(u.e+) - sum_k log s(-u.e_k).</summary>
    Nce,
    /// <summary>Bayesian personalized ranking: -mean_k log s(u.e+ - u.e_k).</summary>
    Bpr,
    /// <summary>Hinge: mean_k max(0, margin - u.e+ + u.e_k).</summary>
    Hinge,
}

namespace HierTcn.Formats.Bundles;

/// <summary>
/// The recent-popularity prior of a model trained with <c>--recent-pop-prior</c>: its score of item i at time t is
/// u . e_i + <see cref="Weight"/> log(1 + c_i), c_i the clicks on i in [t - <see cref="WindowMs"/>, t) (the trainer
/// counts the training users' clicks; the service counts the clicks it observes). The service computes the term and
/// feeds it to the score graph as <see cref="BundleSignatures.Tensors.ItemPrior"/>.
/// </summary>
/// <param name="Weight">w, learned in training.</param>
/// <param name="WindowMs">The window the counts cover, in ms.</param>
public sealed record RecentPopPriorSpec(float Weight, long WindowMs);

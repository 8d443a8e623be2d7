using HierTcn.Trainer.Models.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models;

/// <summary>
/// Base of the trainable models. A model maps a user's history to user embeddings u_t (one per position) and scores
/// item i as u_t . e_i with the same item vectors it reads as input (tied, paper eq. 12). Subclasses own all their
/// modules as fields named like PyTorch's, so the state dict keys are the names in exporter/CONTRACT.md.
/// </summary>
public abstract class RecommenderModel : nn.Module
{
    private protected RecommenderModel(string name, ModelOptions options, ItemSource items) : base(name)
    {
        options.Validate();
        Options = options;
        Items = items;
    }

    public ModelOptions Options { get; }
    public ItemSource Items { get; }
    public ModelKind Kind => Options.Kind;

    /// <summary>The user/item embedding size d.</summary>
    public int Dim => ItemLayer.Dim;

    private protected abstract ItemLayer ItemLayer { get; }

    /// <summary>All item vectors [N, d], the scoring matrix.</summary>
    public Tensor ItemVectors() => ItemLayer.All(Device);

    /// <summary>The per-item score bias [N], or null when the model has none.</summary>
    public Tensor? ItemBias() => ItemLayer.Bias;

    /// <summary>With <see cref="ModelOptions.RecentPopPrior"/>: w log(1 + <paramref name="recentCounts"/>) [P, N], the
    /// score each item gets from the training users' clicks of the window before each event; null without the prior.</summary>
    public Tensor? RecentPopPrior(Tensor recentCounts) =>
        ItemLayer.RecentPopWeight is { } w ? recentCounts.log1p() * w : null;

    /// <summary>Scores of every item for the user embeddings <paramref name="user"/> [P, d] -> [P, N]: u . e_i (+ b_i).</summary>
    public Tensor Scores(Tensor user)
    {
        Tensor s = user.matmul(ItemVectors().t());
        return ItemLayer.Bias is { } b ? Arith.AddInPlace(s, b) : s;
    }

    /// <summary>Vectors of the dense item ids <paramref name="ids"/> -> [..., d].</summary>
    public Tensor ItemVectorsOf(Tensor ids) => ItemLayer.Lookup(ids);

    /// <summary>The device the parameters live on.</summary>
    public Device Device => parameters().First().device;

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>One line per state-dict entry ("name [shape]") and the total, for logs and the run directory.</summary>
    public string Describe()
    {
        var lines = named_parameters().Select(p => $"  {p.name} [{string.Join(", ", p.parameter.shape)}]").ToList();
        lines.Insert(0, $"{ModelKinds.Name(Kind)}: {ParameterCount():N0} parameters");
        return string.Join('\n', lines);
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models.Internal;

/// <summary>The item side shared by every model: the modules a model registers as <c>item_embedding</c> (ID setting)
/// or <c>item_projection</c> (feature setting, optional), and the fixed feature vectors, which are kept off the
/// module so they never enter the state dict.</summary>
internal sealed class ItemLayer
{
    private readonly ItemSource _source;
    private Tensor? _features;
    private readonly Lock _featuresLock = new();

    public ItemLayer(ItemSource source, ModelOptions options)
    {
        _source = source;
        if (source.HasFeatures)
        {
            Projection = options.ProjectFeatures ? nn.Linear(source.FeatureDim, options.ItemDim) : null;
            Dim = options.ProjectFeatures ? options.ItemDim : source.FeatureDim;
        }
        else
        {
            Embedding = nn.Embedding(source.Count, options.ItemDim);
            using (no_grad())
            {
                // Small initial scale: scores u . e start near zero, so the first cross-entropy is about log N.
                Embedding.weight!.normal_(0, 1.0 / Math.Sqrt(options.ItemDim));
            }
            Dim = options.ItemDim;
        }
        if (options.ItemBias)
        {
            Bias = new Parameter(zeros(source.Count));
        }
        if (options.RecentPopPrior)
        {
            RecentPopWeight = new Parameter(ones(1));
        }
    }

    public Embedding? Embedding { get; }
    public Linear? Projection { get; }
    /// <summary>Per-item score bias b [N] (a learned popularity term), registered as <c>item_bias</c>; null when off.</summary>
    public Parameter? Bias { get; }
    /// <summary>The weight w of the recent-popularity prior (score + w log(1 + recent clicks)), registered as
    /// <c>recent_pop_weight</c> [1]; null when off.</summary>
    public Parameter? RecentPopWeight { get; }
    /// <summary>The item (and user) embedding size d.</summary>
    public int Dim { get; }

    /// <summary>All item vectors [N, d]: the scoring matrix of eq. 12.</summary>
    public Tensor All(Device device)
    {
        if (Embedding is not null)
        {
            return Embedding.weight!;
        }
        Tensor f = Features(device);
        return Projection is null ? f : Projection.forward(f);
    }

    /// <summary>Vectors of the dense ids <paramref name="ids"/> (any shape) -> [..., d].</summary>
    public Tensor Lookup(Tensor ids)
    {
        if (Embedding is not null)
        {
            return Embedding.forward(ids);
        }
        Tensor f = Features(ids.device).index_select(0, ids.flatten()).view([.. ids.shape, _source.FeatureDim]);
        return Projection is null ? f : Projection.forward(f);
    }

    // The trainer's workers run forward passes on several threads at once.
    private Tensor Features(Device device)
    {
        lock (_featuresLock)
        {
            if (_features is null || _features.device != device)
            {
                Tensor cpu = _source.FeatureTensor();
                _features = cpu.to(device).DetachFromDisposeScope();
            }
            return _features;
        }
    }
}

using HierTcn.Trainer.Models.Internal;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Losses;

/// <summary>Draws negatives from the catalogue, uniformly or with probability proportional to popularity^alpha
/// (counts from the training events; every item gets at least a count of 1 so none is impossible). Uses libtorch's
/// global generator, so runs are reproducible from the seed.</summary>
public sealed class NegativeSampler : IDisposable
{
    private readonly Tensor _probability;
    private readonly Tensor _logProbability;

    /// <param name="counts">Training-event count per item [N].</param>
    /// <param name="alpha">0: uniform.</param>
    public NegativeSampler(ReadOnlySpan<long> counts, double alpha, Device device)
    {
        var w = new double[counts.Length];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = alpha == 0 ? 1.0 : Math.Pow(Math.Max(counts[i], 1), alpha);
        }
        double sum = w.Sum();
        var p = w.Select(x => (float)(x / sum)).ToArray();
        _probability = tensor(p).to(device).DetachFromDisposeScope();
        _logProbability = _probability.log().DetachFromDisposeScope();
    }

    /// <summary>[positions, k] negatives with their log-probabilities (times k: the expected count, for the
    /// sampled-softmax correction).</summary>
    public Negatives Sample(long positions, int k)
    {
        Tensor ids = _probability.multinomial(positions * k, replacement: true).view(positions, k);
        Tensor logQ = Arith.Plus(_logProbability.index_select(0, ids.flatten()).view(positions, k), Math.Log(k));
        return new Negatives(ids, ones([positions, k], @bool, ids.device), logQ);
    }

    public void Dispose()
    {
        _probability.Dispose();
        _logProbability.Dispose();
    }
}

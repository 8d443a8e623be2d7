using System.Numerics.Tensors;

namespace HierTcn.Inference.Scoring;

/// <summary>
/// One scoring pass for a batch of user embeddings against item rows of a row-major matrix (the memory-mapped item
/// snapshot): score = user . item (paper eq. 12). Scores item-major so each item row is read once for the whole
/// batch. Not thread-safe (it owns its heaps); use one per worker.
/// </summary>
public sealed class BatchScorer
{
    private readonly TopK[] _heaps;

    /// <param name="maxBatch">Most users in one pass.</param>
    /// <param name="maxK">Largest k asked for.</param>
    public BatchScorer(int maxBatch, int maxK)
    {
        _heaps = new TopK[maxBatch];
        for (int i = 0; i < maxBatch; i++)
        {
            _heaps[i] = new TopK(maxK);
        }
    }

    /// <summary>
    /// Scores every user of the batch. <paramref name="users"/> is [B, d] row-major; <paramref name="items"/> is
    /// [N, d]. <paramref name="rows"/> lists the item rows to consider for each user (null: every row 0..N-1);
    /// <paramref name="excluded"/> returns true for (user, row) pairs never to return. <paramref name="prior"/> (one value
    /// per item row, or null) is added to every user's score of the row (a recent-popularity prior). Results go to
    /// <paramref name="output"/>[b] (best first, at most <paramref name="k"/>[b] entries, NaN scores skipped).
    /// </summary>
    public void Score(ReadOnlySpan<float> users, int dim, ReadOnlySpan<float> items, int[]?[] rows, int[] k,
        Func<int, int, bool>? excluded, ScoredRow[][] output, int[] outputCount, float[]? prior = null)
    {
        int batch = k.Length;
        for (int b = 0; b < batch; b++)
        {
            _heaps[b].Reset(k[b]);
        }
        int n = items.Length / dim;
        bool anyFull = false;
        for (int b = 0; b < batch; b++)
        {
            anyFull |= rows[b] is null;
        }
        if (anyFull)
        {
            for (int row = 0; row < n; row++)
            {
                var item = items.Slice(row * dim, dim);
                for (int b = 0; b < batch; b++)
                {
                    if (rows[b] is not null || (excluded is not null && excluded(b, row)))
                    {
                        continue;
                    }
                    _heaps[b].Offer(row, TensorPrimitives.Dot(users.Slice(b * dim, dim), item) + (prior is null ? 0f : prior[row]));
                }
            }
        }
        for (int b = 0; b < batch; b++)
        {
            if (rows[b] is not { } list)
            {
                continue;
            }
            var user = users.Slice(b * dim, dim);
            foreach (int row in list)
            {
                if (excluded is not null && excluded(b, row))
                {
                    continue;
                }
                _heaps[b].Offer(row, TensorPrimitives.Dot(user, items.Slice(row * dim, dim)) + (prior is null ? 0f : prior[row]));
            }
        }
        for (int b = 0; b < batch; b++)
        {
            outputCount[b] = _heaps[b].DrainSorted(output[b]);
        }
    }
}

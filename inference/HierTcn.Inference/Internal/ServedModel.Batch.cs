namespace HierTcn.Inference.Internal;

internal sealed partial class ServedModel
{
    /// <summary>One batch: the update graph once for the rows whose session the request time closes, the embedding of
    /// every row (incremental TCN rows, or the whole window), then one scoring pass per snapshot in the batch (one,
    /// except during a swap) and top k.</summary>
    internal void RunBatch(ReadOnlySpan<EmbedJob> jobs, Span<EmbedResult> results)
    {
        // One set of arrays per batch computed at once (a worker may resume on another thread, so not thread-local).
        if (!_batchWork.TryTake(out var work))
        {
            work = new BatchWork(_maxBatch, Dim);
        }
        try
        {
            RunRows(jobs, results, work);
        }
        finally
        {
            Array.Clear(work.Hidden);
            _batchWork.Add(work);
        }
    }

    private void RunRows(ReadOnlySpan<EmbedJob> jobs, Span<EmbedResult> results, BatchWork work)
    {
        int b = jobs.Length;
        if (b > _maxBatch)
        {
            throw new ArgumentException($"a batch of {b} rows; the batcher makes at most {_maxBatch}", nameof(jobs));
        }
        var hidden = HighLevelStates(jobs, work.Hidden);
        var users = work.Users;
        if (_embedStep is not null)
        {
            EmbedSteps(jobs, hidden, users);
        }
        else
        {
            EmbedFullWindow(jobs, hidden, users);
        }
        for (int i = 0; i < b; i++)
        {
            var user = users.AsSpan(i * Dim, Dim);
            // Recommend needs only to know the embedding is finite; GetUserEmbedding gets a copy.
            results[i] = new EmbedResult(!HasNonFinite(user), jobs[i].Score ? [] : user.ToArray(), []);
        }
        Score(jobs, users, results, work);
    }

    private static bool HasNonFinite(ReadOnlySpan<float> x)
    {
        foreach (float v in x)
        {
            if (!float.IsFinite(v))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Each row's high-level state, in <paramref name="hidden"/>: its own, or for the rows whose session the
    /// request closes, the update graph's (one run for all of them).</summary>
    private float[][] HighLevelStates(ReadOnlySpan<EmbedJob> jobs, float[][] hidden)
    {
        int b = jobs.Length;
        int closing = 0;
        for (int i = 0; i < b; i++)
        {
            hidden[i] = jobs[i].Hidden;
            closing += jobs[i].CloseMean is null ? 0 : 1;
        }
        if (closing == 0)
        {
            return hidden;
        }
        var states = new float[closing * StateSize];
        var means = new float[closing * Dim];
        var gaps = new float[closing];
        for (int i = 0, j = 0; i < b; i++)
        {
            if (jobs[i].CloseMean is { } mean)
            {
                jobs[i].Hidden.CopyTo(states, j * StateSize);
                mean.CopyTo(means, j * Dim);
                gaps[j] = jobs[i].CloseGapMinutes;
                j++;
            }
        }
        var next = RunUpdate(states, means, gaps, closing);
        for (int i = 0, j = 0; i < b; i++)
        {
            if (jobs[i].CloseMean is not null)
            {
                hidden[i] = next.AsSpan(j * StateSize, StateSize).ToArray();
                j++;
            }
        }
        return hidden;
    }

    /// <summary>The rows a job's session window feeds the TCN: [start token, e(x_1) .. e(x_n)] cut to the receptive
    /// field, items missing from the snapshot skipped. Fills <paramref name="rows"/> with snapshot rows and returns
    /// whether the start token leads them.</summary>
    private bool WindowRows(EmbedJob job, List<int> rows)
    {
        rows.Clear();
        var snapshot = job.Snapshot.Snapshot;
        foreach (long id in job.SessionItems)
        {
            if (snapshot.TryGetRow(id, out int row))
            {
                rows.Add(row);
            }
        }
        bool start = job.IncludeStart || rows.Count == 0;
        int total = rows.Count + (start ? 1 : 0);
        if (total > ReceptiveField)
        {
            int drop = total - ReceptiveField;
            if (start)
            {
                start = false;
                drop--;
            }
            rows.RemoveRange(0, drop);
        }
        return start;
    }
}

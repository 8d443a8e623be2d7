using System.Diagnostics;
using HierTcn.Formats.Bundles;
using Microsoft.ML.OnnxRuntime;

namespace HierTcn.Inference.Internal;

internal sealed partial class ServedModel
{
    /// <summary>
    /// The incremental TCN (role embed_step): each job resumes from its user's cache entry when the entry continues
    /// the request's state (then only the session items added since are fed, none when the embedding is current),
    /// otherwise from zero buffers over its session window (a new session: the start token alone). The step graph
    /// then runs once per row position: run j takes the j-th pending row of every job that has one. Results go back to
    /// the cache, except for rows whose session the request closed (that state is not stored).
    /// </summary>
    private void EmbedSteps(ReadOnlySpan<EmbedJob> jobs, float[][] hidden, float[] users)
    {
        // One set of arrays per batch computed at once (a worker may resume on another thread, so not thread-local).
        if (!_stepWork.TryTake(out var work))
        {
            work = new StepWork(_maxBatch, Dim, StateSize, BufferSize);
        }
        try
        {
            EmbedSteps(jobs, hidden, users, work);
        }
        finally
        {
            _stepWork.Add(work);
        }
    }

    private void EmbedSteps(ReadOnlySpan<EmbedJob> jobs, float[][] hidden, float[] users, StepWork work)
    {
        int b = jobs.Length;
        int size = BufferSize;
        int steps = 0;
        for (int i = 0; i < b; i++)
        {
            var job = jobs[i];
            var rows = work.Rows[i];
            var buffers = work.Buffers.AsSpan(i * size, size);
            bool cacheable = _stepCache is not null && job.CloseMean is null;
            work.Cacheable[i] = cacheable;
            if (cacheable && _stepCache!.TryResume(job, hidden[i], buffers, users.AsSpan(i * Dim, Dim), out var added))
            {
                rows.Clear();
                // Nothing new since the entry: its embedding is current and the entry stays as it is.
                work.Cacheable[i] = added.Count > 0;
                var snapshot = job.Snapshot.Snapshot;
                foreach (long id in added)
                {
                    if (snapshot.TryGetRow(id, out int row))
                    {
                        rows.Add(row);
                    }
                }
            }
            else
            {
                buffers.Clear();
                if (WindowRows(job, rows))
                {
                    rows.Insert(0, StepWork.StartToken);
                }
            }
            steps = Math.Max(steps, rows.Count);
        }
        for (int j = 0; j < steps; j++)
        {
            RunStep(jobs, hidden, users, work, j);
        }
        if (_stepCache is not null)
        {
            for (int i = 0; i < b; i++)
            {
                if (work.Cacheable[i])
                {
                    _stepCache.Store(jobs[i], hidden[i], work.Buffers.AsSpan(i * size, size), users.AsSpan(i * Dim, Dim));
                }
            }
        }
    }

    /// <summary>One step run over the jobs that have a <paramref name="position"/>-th pending row.</summary>
    private void RunStep(ReadOnlySpan<EmbedJob> jobs, float[][] hidden, float[] users, StepWork work, int position)
    {
        int size = BufferSize;
        int n = 0;
        for (int i = 0; i < jobs.Length; i++)
        {
            var rows = work.Rows[i];
            if (rows.Count <= position)
            {
                continue;
            }
            int row = rows[position];
            var item = work.Item.AsSpan(n * Dim, Dim);
            if (row == StepWork.StartToken)
            {
                _sessionStart.CopyTo(item);
            }
            else
            {
                jobs[i].Snapshot.Snapshot.Row(row).CopyTo(item);
            }
            hidden[i].CopyTo(work.State.AsSpan(n * StateSize, StateSize));
            work.Buffers.AsSpan(i * size, size).CopyTo(work.StepBuffers.AsSpan(n * size, size));
            work.Members[n++] = i;
        }
        var dims = Bundle.Manifest.Dims;
        long begin = Stopwatch.GetTimestamp();
        var memory = OrtMemoryInfo.DefaultInstance;
        using (var itemValue = OrtValue.CreateTensorValueFromMemory(memory, work.Item.AsMemory(0, n * Dim), [n, Dim]))
        using (var stateValue = OrtValue.CreateTensorValueFromMemory(memory, work.State.AsMemory(0, n * StateSize), [n, dims.Layers, dims.Hidden]))
        using (var buffersValue = OrtValue.CreateTensorValueFromMemory(memory, work.StepBuffers.AsMemory(0, n * size), [n, size]))
        using (var outputs = _embedStep!.Run(itemValue, stateValue, buffersValue))
        {
            var embeddings = outputs[0].GetTensorDataAsSpan<float>();
            var next = outputs[1].GetTensorDataAsSpan<float>();
            for (int r = 0; r < n; r++)
            {
                int i = work.Members[r];
                embeddings.Slice(r * Dim, Dim).CopyTo(users.AsSpan(i * Dim, Dim));
                next.Slice(r * size, size).CopyTo(work.Buffers.AsSpan(i * size, size));
            }
        }
        Ran(GraphRoles.EmbedStep, begin);
    }
}

using System.Diagnostics;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference.Scoring;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace HierTcn.Inference.Internal;

internal sealed partial class ServedModel
{
    /// <summary>Top k per scored row, grouped by the snapshot each request holds (one group, except during a swap):
    /// rows that rank the whole catalogue through the bundle's score graph (one matrix product and TopK for the
    /// group), rows with candidates through <see cref="BatchScorer"/> over their candidate rows.</summary>
    private void Score(ReadOnlySpan<EmbedJob> jobs, float[] users, Span<EmbedResult> results, BatchWork work)
    {
        var grouped = work.Grouped.AsSpan(0, jobs.Length);
        for (int i = 0; i < jobs.Length; i++)
        {
            grouped[i] = !jobs[i].Score || !float.IsFinite(TensorSum(users.AsSpan(i * Dim, Dim)));
        }
        // Rows of one group: the same snapshot and the same kind (catalogue or candidates), in row order.
        for (int first = 0; first < jobs.Length; first++)
        {
            if (grouped[first])
            {
                continue;
            }
            var handle = jobs[first].Snapshot;
            bool catalogue = jobs[first].CandidateRows is null;
            // A model with a prior ranks each group with the clicks of one window: rows asked at another time go apart.
            long priorAt = jobs[first].PriorAtMs;
            int n = 0;
            for (int i = first; i < jobs.Length; i++)
            {
                if (!grouped[i] && ReferenceEquals(jobs[i].Snapshot, handle) && (jobs[i].CandidateRows is null) == catalogue
                    && (_prior is null || jobs[i].PriorAtMs == priorAt))
                {
                    grouped[i] = true;
                    work.Members[n++] = i;
                }
            }
            var members = work.Members.AsSpan(0, n);
            if (catalogue)
            {
                ScoreCatalogue(jobs, users, results, handle, members, work, priorAt);
            }
            else
            {
                ScoreCandidates(jobs, users, results, handle.Snapshot, members, work, priorAt);
            }
        }
    }

    /// <summary>The score graph (u . e_i for every item, TopK) once for <paramref name="members"/>, reading the
    /// memory-mapped item matrix in place. It keeps k + |excluded| items per row (the group's largest), so the k best
    /// that are not excluded are among them: exclusions are looked up only there.</summary>
    private void ScoreCatalogue(ReadOnlySpan<EmbedJob> jobs, float[] users, Span<EmbedResult> results, SnapshotHandle handle,
        ReadOnlySpan<int> members, BatchWork work, long priorAt)
    {
        var snapshot = handle.Snapshot;
        int n = members.Length;
        int items = snapshot.Count;
        var u = work.GroupUsers;
        long top = 0;
        int maxK = 0;
        for (int j = 0; j < n; j++)
        {
            var job = jobs[members[j]];
            users.AsSpan(members[j] * Dim, Dim).CopyTo(u.AsSpan(j * Dim));
            top = Math.Max(top, (long)job.K + (job.ExcludedRows?.Count ?? 0));
            maxK = Math.Max(maxK, job.K);
        }
        if (top == 0 || items == 0)
        {
            return;
        }
        // Kept per row: rounded up to a power of two (at most the catalogue), so requests whose k + |excluded| differ a
        // little share one binding; the best come first, so keeping more changes nothing.
        top = Math.Min((long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)top), items);
        if (work.Scratch.Length < maxK)
        {
            work.Scratch = new ItemScore[maxK];
        }
        work.TopK[0] = top;
        long begin = Stopwatch.GetTimestamp();
        work.BindFor(handle, top, prior: _prior is not null);
        if (work.Prior is { } prior)
        {
            FillPrior(priorAt, snapshot, prior.AsSpan(0, items));
        }
        var binding = work.Bindings[n] ??= new ScoreBinding(_score, u, work.TopK, work.Scores, work.Indices, work.Prior, handle, n, top, Dim);
        binding.Run(_score);
        var scores = work.Scores;
        var indices = work.Indices;
        var ids = snapshot.ItemIds;
        for (int j = 0; j < n; j++)
        {
            var job = jobs[members[j]];
            var excluded = job.ExcludedRows;
            var kept = work.Scratch.AsSpan(0, job.K);
            int count = 0;
            for (int r = 0; r < top && count < job.K; r++)
            {
                int row = (int)indices[(int)(j * top + r)];
                float score = scores[(int)(j * top + r)];
                if (float.IsFinite(score) && excluded?.Contains(row) != true)
                {
                    kept[count++] = new ItemScore(ids[row], score);
                }
            }
            results[members[j]] = results[members[j]] with { Items = kept[..count].ToArray() };
        }
        Ran(GraphRoles.Score, begin);
    }

    private void ScoreCandidates(ReadOnlySpan<EmbedJob> jobs, float[] users, Span<EmbedResult> results, ItemSnapshot snapshot,
        ReadOnlySpan<int> members, BatchWork work, long priorAt)
    {
        var scorer = _scorers.Value!;
        int n = members.Length;
        var u = new float[n * Dim];
        var rows = new int[]?[n];
        var k = new int[n];
        var excluded = new HashSet<int>?[n];
        var output = new ScoredRow[n][];
        var counts = new int[n];
        for (int j = 0; j < n; j++)
        {
            var job = jobs[members[j]];
            users.AsSpan(members[j] * Dim, Dim).CopyTo(u.AsSpan(j * Dim));
            rows[j] = job.CandidateRows;
            k[j] = job.K;
            excluded[j] = job.ExcludedRows;
            output[j] = new ScoredRow[job.K];
        }
        bool anyExcluded = false;
        foreach (var e in excluded)
        {
            anyExcluded |= e is { Count: > 0 };
        }
        float[]? prior = null;
        if (_prior is not null)
        {
            prior = work.CandidatePrior(snapshot.Count);
            FillPrior(priorAt, snapshot, prior.AsSpan(0, snapshot.Count));
        }
        scorer.Score(u, Dim, snapshot.Matrix, rows, k, anyExcluded ? (user, row) => excluded[user]?.Contains(row) == true : null,
            output, counts, prior);
        var ids = snapshot.ItemIds;
        for (int j = 0; j < n; j++)
        {
            var list = new List<ItemScore>(counts[j]);
            for (int r = 0; r < counts[j]; r++)
            {
                var s = output[j][r];
                if (float.IsFinite(s.Score))
                {
                    list.Add(new ItemScore(ids[s.Row], s.Score));
                }
            }
            results[members[j]] = results[members[j]] with { Items = [.. list] };
        }
    }

    /// <summary>The prior term w log(1 + c_i) of every snapshot row, c_i the clicks in the window before
    /// <paramref name="priorAt"/> (0: the server's clock now).</summary>
    private void FillPrior(long priorAt, ItemSnapshot snapshot, Span<float> prior)
    {
        var spec = _prior!;
        long at = priorAt == 0 ? _clock.GetUtcNow().ToUnixTimeMilliseconds() : priorAt;
        _clicks!.FillPrior(at, spec.WindowMs, spec.Weight, snapshot, prior);
    }

    private static float TensorSum(ReadOnlySpan<float> x) => System.Numerics.Tensors.TensorPrimitives.Sum(x);
}

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
    private void Score(ReadOnlySpan<EmbedJob> jobs, float[] users, Span<EmbedResult> results)
    {
        var catalogue = new Dictionary<SnapshotHandle, List<int>>(ReferenceEqualityComparer.Instance);
        var candidates = new Dictionary<SnapshotHandle, List<int>>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < jobs.Length; i++)
        {
            if (!jobs[i].Score || !float.IsFinite(TensorSum(users.AsSpan(i * Dim, Dim))))
            {
                continue;
            }
            var groups = jobs[i].CandidateRows is null ? catalogue : candidates;
            if (!groups.TryGetValue(jobs[i].Snapshot, out var list))
            {
                groups[jobs[i].Snapshot] = list = [];
            }
            list.Add(i);
        }
        foreach (var (handle, members) in catalogue)
        {
            ScoreCatalogue(jobs, users, results, handle.Snapshot, members);
        }
        foreach (var (handle, members) in candidates)
        {
            ScoreCandidates(jobs, users, results, handle.Snapshot, members);
        }
    }

    /// <summary>The score graph (u . e_i for every item, TopK) once for <paramref name="members"/>, reading the
    /// memory-mapped item matrix in place. It keeps k + |excluded| items per row (the group's largest), so the k best
    /// that are not excluded are among them: exclusions are looked up only there.</summary>
    private void ScoreCatalogue(ReadOnlySpan<EmbedJob> jobs, float[] users, Span<EmbedResult> results, ItemSnapshot snapshot,
        List<int> members)
    {
        int n = members.Count;
        int items = snapshot.Count;
        var u = new float[n * Dim];
        long top = 0;
        for (int j = 0; j < n; j++)
        {
            var job = jobs[members[j]];
            users.AsSpan(members[j] * Dim, Dim).CopyTo(u.AsSpan(j * Dim));
            top = Math.Max(top, (long)job.K + (job.ExcludedRows?.Count ?? 0));
        }
        top = Math.Min(top, items);
        if (top == 0)
        {
            return;
        }
        long begin = Stopwatch.GetTimestamp();
        using var userValue = OrtValue.CreateTensorValueFromMemory(u, [n, Dim]);
        using var matrixValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, [items, Dim],
            snapshot.MatrixPointer, 4L * items * Dim);
        using var kValue = OrtValue.CreateTensorValueFromMemory(new[] { top }, [1]);
        using var outputs = _score.Run(userValue, matrixValue, kValue);
        var scores = outputs[0].GetTensorDataAsSpan<float>();
        var indices = outputs[1].GetTensorDataAsSpan<long>();
        var ids = snapshot.ItemIds;
        for (int j = 0; j < n; j++)
        {
            var job = jobs[members[j]];
            var excluded = job.ExcludedRows;
            var list = new List<ItemScore>(job.K);
            for (int r = 0; r < top && list.Count < job.K; r++)
            {
                int row = (int)indices[(int)(j * top + r)];
                float score = scores[(int)(j * top + r)];
                if (float.IsFinite(score) && excluded?.Contains(row) != true)
                {
                    list.Add(new ItemScore(ids[row], score));
                }
            }
            results[members[j]] = results[members[j]] with { Items = [.. list] };
        }
        _metrics?.OnnxRun(Version, GraphRoles.Score, Stopwatch.GetElapsedTime(begin).TotalSeconds);
    }

    private void ScoreCandidates(ReadOnlySpan<EmbedJob> jobs, float[] users, Span<EmbedResult> results, ItemSnapshot snapshot,
        List<int> members)
    {
        var scorer = _scorers.Value!;
        int n = members.Count;
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
        bool anyExcluded = excluded.Any(e => e is { Count: > 0 });
        scorer.Score(u, Dim, snapshot.Matrix, rows, k, anyExcluded ? (user, row) => excluded[user]?.Contains(row) == true : null,
            output, counts);
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

    private static float TensorSum(ReadOnlySpan<float> x) => System.Numerics.Tensors.TensorPrimitives.Sum(x);
}

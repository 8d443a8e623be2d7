using HierTcn.Inference.Scoring;

namespace HierTcn.Inference.Internal;

internal sealed partial class ServedModel
{
    private void Score(ReadOnlySpan<EmbedJob> jobs, float[] users, Span<EmbedResult> results)
    {
        var scorer = _scorers.Value!;
        var groups = new Dictionary<SnapshotHandle, List<int>>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < jobs.Length; i++)
        {
            if (!jobs[i].Score || !float.IsFinite(TensorSum(users.AsSpan(i * Dim, Dim))))
            {
                continue;
            }
            if (!groups.TryGetValue(jobs[i].Snapshot, out var list))
            {
                groups[jobs[i].Snapshot] = list = [];
            }
            list.Add(i);
        }
        foreach (var (handle, members) in groups)
        {
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
            var snapshot = handle.Snapshot;
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
    }

    private static float TensorSum(ReadOnlySpan<float> x) => System.Numerics.Tensors.TensorPrimitives.Sum(x);
}

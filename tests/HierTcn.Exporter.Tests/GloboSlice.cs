using HierTcn.Data.Dataset;
using HierTcn.Data.Preparation;

namespace HierTcn.Exporter.Tests;

/// <summary>The bundled Globo slice (datasets/globo-slice) prepared with the protocol's defaults into a temp directory.</summary>
public sealed class GloboSlice : IDisposable
{
    private static readonly string s_directory = Path.Combine(Path.GetTempPath(), $"hiertcn-exporter-globo-{Environment.ProcessId}");

    public GloboSlice()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "HierTcn.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }
        DatasetPreparer.Prepare(Path.Combine(root, "datasets", "globo-slice", "clicks.csv.gz"), s_directory, new PrepareOptions());
    }

    public static string Directory => s_directory;

    /// <summary>For <paramref name="users"/> users with two sessions: their first two sessions (hierarchical), or
    /// their first events with session-start flags (flat), cut to at most 121 rows.</summary>
    public static (long[], long[], long[], long[], float[]) Sessions(PreparedDataset data, int users, bool flat, out int t)
    {
        var picked = Enumerable.Range(0, data.UserCount).Where(u => data.UserSessionRange(u) is var (s, e) && e - s >= 2).Take(users).ToArray();
        var se = data.SessionEvents;
        var items = data.EventItems;
        var starts = data.SessionStartFlags();
        var first = new List<int[]>();
        var second = new List<int[]>();
        var flags = new List<float[]>();
        foreach (int u in picked)
        {
            var (s, _) = data.UserSessionRange(u);
            if (flat)
            {
                var (e0, e1) = data.UserEvents(u);
                int n = Math.Min(e1 - e0, 121);
                first.Add(items.Slice(e0, n).ToArray());
                second.Add(items.Slice(e0, n).ToArray());
                flags.Add([.. starts.AsSpan(e0, n).ToArray().Select(f => (float)f)]);
            }
            else
            {
                first.Add(items.Slice(se[s], Math.Min(se[s + 1] - se[s], 121)).ToArray());
                second.Add(items.Slice(se[s + 1], Math.Min(se[s + 2] - se[s + 1], 121)).ToArray());
            }
        }
        int rows = t = first.Concat(second).Max(x => x.Length);
        long[] Pad(List<int[]> rowsOf) => [.. rowsOf.SelectMany(r => r.Select(i => (long)i).Concat(Enumerable.Repeat(0L, rows - r.Length)))];
        float[] padFlags = flat ? [.. flags.SelectMany(f => f.Concat(Enumerable.Repeat(0f, rows - f.Length)))] : new float[picked.Length * rows];
        return (Pad(first), [.. first.Select(r => (long)r.Length)], Pad(second), [.. second.Select(r => (long)r.Length)], padFlags);
    }

    public void Dispose() => System.IO.Directory.Delete(s_directory, recursive: true);
}

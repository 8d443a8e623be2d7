using System.Diagnostics;
using HierTcn.StateStore.Client;

namespace HierTcn.StateStore.Bench;

/// <summary>
/// The RESP clusters of <c>--engines</c>, started by the benchmark on loopback with bench/resp-cluster.sh (the
/// durability settings of state-store/README.md, "RESP cluster") and killed when it ends, failed or not. Sides:
/// <c>redis</c>, <c>garnet</c>: 3 primaries, no replica; <c>redis-replicas</c>, <c>garnet-replicas</c>: 3 primaries
/// with one replica each, acknowledged by the primary alone; <c>redis-wait</c>: the same replicated Redis cluster
/// (with its own key prefix), each write also waiting for its replica (<see cref="RespStateStoreOptions.WaitForReplicas"/>
/// 1). <c>all</c> is all five. There is no <c>garnet-wait</c>: Garnet 2.2.12 answers WAIT with "ERR unknown
/// command", so no write could be acknowledged.
/// </summary>
public sealed class RespClusters : IDisposable
{
    public static readonly string[] AllSides = ["redis", "redis-replicas", "redis-wait", "garnet", "garnet-replicas"];

    private readonly string _script;
    private readonly List<string> _started = [];

    private RespClusters(string script) => _script = script;

    /// <summary>The <paramref name="sides"/> grouped by the cluster they run on (redis-replicas and redis-wait share
    /// one), in the order first named; throws <see cref="ArgumentException"/> on a side that is not offered.</summary>
    public static List<List<string>> GroupByCluster(IReadOnlyList<string> sides)
    {
        if (sides.Contains("garnet-wait"))
            throw new ArgumentException("--engines: garnet-wait is not offered: Garnet 2.2.12 answers WAIT with \"ERR unknown command\", so WaitForReplicas refuses every write");
        var unknown = sides.Except(AllSides).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"--engines: unknown {string.Join(", ", unknown)}; use {string.Join(", ", AllSides)} or all");
        return [.. sides.Distinct().GroupBy(ClusterOf).Select(g => g.ToList())];
    }

    private static string ClusterOf(string side) => $"{side.Split('-')[0]}-{(side.Contains('-') ? 1 : 0)}";

    /// <summary>Starts the clusters the <paramref name="sides"/> need, under <paramref name="data"/>, on ports from
    /// <paramref name="basePort"/> (20 per cluster); returns each side's store options.</summary>
    public static (RespClusters Clusters, List<(string Name, RespStateStoreOptions Options)> Sides) Start(IReadOnlyList<string> sides, string data, int basePort)
    {
        GroupByCluster(sides);
        var clusters = new RespClusters(FindScript());
        var result = new List<(string, RespStateStoreOptions)>();
        try
        {
            var endpoints = new Dictionary<string, string>();
            foreach (string side in sides)
            {
                string engine = side.Split('-')[0];
                int replicas = side.Contains('-') ? 1 : 0;
                string cluster = ClusterOf(side);
                if (!endpoints.TryGetValue(cluster, out var nodes))
                {
                    Console.WriteLine($"starting {engine} cluster: 3 primaries, {replicas} replica(s) each");
                    endpoints[cluster] = nodes = clusters.StartCluster(engine, Path.Combine(data, "resp-" + cluster), replicas, basePort + 20 * endpoints.Count);
                }
                result.Add((side, new RespStateStoreOptions
                {
                    Endpoints = nodes.Split(','),
                    KeyPrefix = side + ":",
                    CallTimeout = TimeSpan.FromSeconds(60),
                    UserTtl = TimeSpan.Zero,
                    WaitForReplicas = side.EndsWith("-wait", StringComparison.Ordinal) ? 1 : 0,
                }));
            }
            return (clusters, result);
        }
        catch
        {
            clusters.Dispose();
            throw;
        }
    }

    /// <summary>Kills every node started and deletes its files.</summary>
    public void Dispose()
    {
        foreach (string dir in _started)
        {
            Run("stop", dir);
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
        _started.Clear();
    }

    private string StartCluster(string engine, string dir, int replicas, int basePort)
    {
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        _started.Add(dir);
        return Run("start", engine, dir, "3", replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), basePort.ToString(System.Globalization.CultureInfo.InvariantCulture)).Trim();
    }

    private string Run(params string[] args)
    {
        var info = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(_script);
        foreach (string arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{_script} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }

    private static string FindScript()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "bench", "resp-cluster.sh")))
            dir = dir.Parent;
        return dir is null
            ? throw new FileNotFoundException("bench/resp-cluster.sh not found above " + AppContext.BaseDirectory + "; run the benchmark from its build output in the repository")
            : Path.Combine(dir.FullName, "bench", "resp-cluster.sh");
    }
}

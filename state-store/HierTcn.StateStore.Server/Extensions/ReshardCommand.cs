using Microsoft.Extensions.Logging.Abstractions;

namespace HierTcn.StateStore.Server.Extensions;

/// <summary>
/// <c>HierTcn.StateStore.Server reshard --from DIR... --to DIR...</c>: the offline re-shard from N to M shards
/// (state-store/README.md). The shards must be stopped; targets must be new or empty directories. The sources are
/// not modified: each is copied beside the first target and the copy is recovered (with the recovery probe).
/// </summary>
public static class ReshardCommand
{
    /// <summary>True when the first argument is "reshard".</summary>
    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == "reshard";

    /// <summary>Runs the command; returns the process exit code (0 done, 2 bad arguments, 1 failure).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var from = new List<string>();
        var to = new List<string>();
        List<string>? current = null;
        foreach (var arg in args.Skip(1))
        {
            if (arg == "--from")
                current = from;
            else if (arg == "--to")
                current = to;
            else if (current is null || arg.StartsWith("--", StringComparison.Ordinal))
                return Usage($"unexpected argument '{arg}'");
            else
                current.Add(arg);
        }
        if (from.Count == 0 || to.Count == 0)
            return Usage("both --from and --to need at least one directory");
        try
        {
            // Each source's copy is probed in a child process first, as the shard does, so a damaged store log fails
            // the probe instead of ending this process.
            var report = await StateStoreResharder.ReshardAsync(from, to, new StateStoreOptions { DataDirectory = from[0] }, NullLoggerFactory.Instance,
                copy => new RecoveryProbe(copy).ProbeAsync).ConfigureAwait(false);
            Console.WriteLine($"re-sharded {report.States} states from {from.Count} to {to.Count} shards: {string.Join(", ", report.PerTarget.Select((n, i) => $"{to[i]}={n}"))}");
            return 0;
        }
        catch (ArgumentException ex)
        {
            return Usage(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or StateStoreDamagedException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("reshard failed: " + ex.Message).ConfigureAwait(false);
            return 1;
        }
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"reshard: {problem}");
        Console.Error.WriteLine("usage: HierTcn.StateStore.Server reshard --from DIR [DIR...] --to DIR [DIR...]");
        return 2;
    }
}

using Microsoft.Extensions.Logging.Abstractions;

namespace HierTcn.StateStore.Server.Extensions;

/// <summary>
/// <c>HierTcn.StateStore.Server repair --data DIR [--StateStore:Name=value ...]</c>: the way out when a shard refuses
/// to serve because its files are damaged beyond what recovery bridges without loss (state-store/README.md, "Damaged
/// files"). Opens the store accepting the loss: when no checkpoint is usable, the store log and the checkpoints go to
/// <c>DIR/damaged-TIME/</c> and the store is rebuilt from the write-ahead log alone; users whose last write is older
/// than the log start over cold. The shard must be stopped; pass the same StateStore settings the shard runs with.
/// </summary>
public static class RepairCommand
{
    /// <summary>True when the first argument is "repair".</summary>
    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == "repair";

    /// <summary>Runs the command; returns the process exit code (0 done, 2 bad arguments, 1 failure).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        string? data = null;
        var settings = new List<string>();
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length)
                data = args[++i];
            else if (args[i].StartsWith("--StateStore:", StringComparison.Ordinal))
                settings.Add(args[i]);
            else
                return Usage($"unexpected argument '{args[i]}'");
        }
        if (data is null)
            return Usage("--data DIR is required");
        var options = new ConfigurationBuilder().AddCommandLine([.. settings]).Build().GetSection("StateStore").Get<StateStoreOptions>() ?? new StateStoreOptions();
        options.DataDirectory = data;
        if (!Directory.Exists(Path.Combine(data, "wal")))
            return Usage($"{data} holds no write-ahead log (wal/); nothing to rebuild from");
        try
        {
            long replayed = await StateStoreEngine.RepairAsync(options, NullLoggerFactory.Instance).ConfigureAwait(false);
            Console.WriteLine($"repaired {data}: {replayed} write-ahead log records replayed; an unusable store log and checkpoints were moved to {data}/damaged-TIME/ (delete them when done)");
            return 0;
        }
        catch (ArgumentException ex)
        {
            return Usage(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or StateStoreDamagedException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("repair failed: " + ex.Message).ConfigureAwait(false);
            return 1;
        }
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"repair: {problem}");
        Console.Error.WriteLine("usage: HierTcn.StateStore.Server repair --data DIR [--StateStore:Name=value ...]");
        return 2;
    }
}

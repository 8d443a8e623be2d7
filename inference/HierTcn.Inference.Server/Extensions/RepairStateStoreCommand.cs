using HierTcn.StateStore;
using Microsoft.Extensions.Logging.Abstractions;

namespace HierTcn.Inference.Server.Extensions;

/// <summary>
/// <c>HierTcn.Inference.Server repair-state-store --data DIR [--StateStore:Name=value ...]</c>: the way out when the
/// embedded state store refuses to serve because its files are damaged beyond what recovery bridges without loss, as
/// the shard's <c>repair</c> command (state-store/README.md, "Damaged files"): when no checkpoint is usable, the store
/// log and the checkpoints go to <c>DIR/damaged-TIME/</c> and the store is rebuilt from the write-ahead log alone; users
/// whose last write is older than the log start over cold. The service must be stopped; pass the same StateStore
/// settings it runs with (also read from <c>StateStore__Name</c> environment variables, as the service reads them).
/// </summary>
public static class RepairStateStoreCommand
{
    /// <summary>The first argument that selects the command.</summary>
    public const string Verb = "repair-state-store";

    /// <summary>True when the first argument is <see cref="Verb"/>.</summary>
    public static bool IsInvoked(string[] args) => args is [Verb, ..];

    /// <summary>The repair instruction for the embedded store in <paramref name="dataDirectory"/>, for messages.</summary>
    public static string Describe(string dataDirectory)
        => $"stop the service, then run 'dotnet HierTcn.Inference.Server.dll {Verb} --data {dataDirectory}' (with the service's --StateStore settings): it moves the store log and checkpoints aside and rebuilds the store from the write-ahead log, so states not written since the log's start begin cold";

    /// <summary>Runs the command; returns the process exit code (0 done, 2 bad arguments, 1 failure).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
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
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine([.. settings]).Build();
        var options = configuration.GetSection("StateStore").Get<StateStoreOptions>() ?? new StateStoreOptions();
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
            await Console.Error.WriteLineAsync($"{Verb} failed: " + ex.Message).ConfigureAwait(false);
            return 1;
        }
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"{Verb}: {problem}");
        Console.Error.WriteLine($"usage: HierTcn.Inference.Server {Verb} --data DIR [--StateStore:Name=value ...]");
        return 2;
    }
}

using Microsoft.Extensions.Logging.Abstractions;

namespace HierTcn.StateStore;

/// <summary>
/// The body of the hosts' repair commands (the shard's <c>repair</c>, the inference server's <c>repair-state-store</c>):
/// <c>VERB --data DIR [--StateStore:Name=value ...]</c> opens the store in DIR accepting the loss
/// (<see cref="StateStoreEngine.RepairAsync"/>: when no checkpoint is usable, the store log and the checkpoints go to
/// <c>DIR/damaged-TIME/</c> and the store is rebuilt from the write-ahead log alone). Each host binds the
/// <c>--StateStore:</c> settings its own way.
/// </summary>
public static class StateStoreRepairTool
{
    /// <summary>Runs the command in <paramref name="args"/> (the verb first); returns the process exit code (0 done,
    /// 2 bad arguments, 1 failure). <paramref name="bindOptions"/> turns the <c>--StateStore:</c> arguments into options.</summary>
    public static async Task<int> RunAsync(string verb, string program, string[] args, Func<string[], StateStoreOptions> bindOptions)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(bindOptions);
        string? data = null;
        var settings = new List<string>();
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length)
                data = args[++i];
            else if (args[i].StartsWith("--StateStore:", StringComparison.Ordinal))
                settings.Add(args[i]);
            else
                return Usage(verb, program, $"unexpected argument '{args[i]}'");
        }
        if (data is null)
            return Usage(verb, program, "--data DIR is required");
        var options = bindOptions([.. settings]);
        options.DataDirectory = data;
        if (!Directory.Exists(Path.Combine(data, "wal")))
            return Usage(verb, program, $"{data} holds no write-ahead log (wal/); nothing to rebuild from");
        try
        {
            long replayed = await StateStoreEngine.RepairAsync(options, NullLoggerFactory.Instance).ConfigureAwait(false);
            Console.WriteLine($"repaired {data}: {replayed} write-ahead log records replayed; an unusable store log and checkpoints were moved to {data}/damaged-TIME/ (delete them when done)");
            return 0;
        }
        catch (ArgumentException ex)
        {
            return Usage(verb, program, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or StateStoreDamagedException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"{verb} failed: " + ex.Message).ConfigureAwait(false);
            return 1;
        }
    }

    private static int Usage(string verb, string program, string problem)
    {
        Console.Error.WriteLine($"{verb}: {problem}");
        Console.Error.WriteLine($"usage: {program} {verb} --data DIR [--StateStore:Name=value ...]");
        return 2;
    }
}

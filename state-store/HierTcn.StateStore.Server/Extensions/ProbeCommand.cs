using System.Globalization;

namespace HierTcn.StateStore.Server.Extensions;

/// <summary>
/// <c>HierTcn.StateStore.Server probe --data DIR --checkpoint TOKEN [--StateStore:Name=value ...]</c>: recovers one
/// checkpoint into a throwaway store and reads its whole store log (<see cref="StateStoreEngine.ProbeCheckpoint"/>).
/// The shard runs it as a child process before recovering a checkpoint itself, because a damaged store log can make
/// FASTER read out of bounds, which ends the process. Exit code 0: usable (prints the records read and how many fail
/// their checksum); 1: unusable (prints why); 2: bad arguments; a crash: unusable.
/// </summary>
public static class ProbeCommand
{
    /// <summary>True when the first argument is "probe".</summary>
    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == "probe";

    /// <summary>Runs the command; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        string? data = null, checkpoint = null;
        var settings = new List<string>();
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length)
                data = args[++i];
            else if (args[i] == "--checkpoint" && i + 1 < args.Length)
                checkpoint = args[++i];
            else if (args[i].StartsWith("--StateStore:", StringComparison.Ordinal))
                settings.Add(args[i]);
            else
                return Usage($"unexpected argument '{args[i]}'");
        }
        if (data is null || !Guid.TryParse(checkpoint, out var token))
            return Usage("--data DIR and --checkpoint TOKEN are required");
        var options = new ConfigurationBuilder().AddCommandLine([.. settings]).Build().GetSection("StateStore").Get<StateStoreOptions>() ?? new StateStoreOptions();
        options.DataDirectory = data;
        try
        {
            var (records, damaged) = StateStoreEngine.ProbeCheckpoint(options, token);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint {token} is usable: {records} records, {damaged} failing their checksum"));
            return 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Console.WriteLine($"checkpoint {token} is unusable: {ex.Message}");
            return 1;
        }
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"probe: {problem}");
        Console.Error.WriteLine("usage: HierTcn.StateStore.Server probe --data DIR --checkpoint TOKEN [--StateStore:Name=value ...]");
        return 2;
    }
}

using HierTcn.StateStore;

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
    public static Task<int> RunAsync(string[] args) =>
        StateStoreRepairTool.RunAsync(Verb, "HierTcn.Inference.Server", args, settings =>
            new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(settings).Build()
                .GetSection("StateStore").Get<StateStoreOptions>() ?? new StateStoreOptions());
}


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
    public static Task<int> RunAsync(string[] args) =>
        StateStoreRepairTool.RunAsync("repair", "HierTcn.StateStore.Server", args, settings =>
            new ConfigurationBuilder().AddCommandLine(settings).Build().GetSection("StateStore").Get<StateStoreOptions>() ?? new StateStoreOptions());
}

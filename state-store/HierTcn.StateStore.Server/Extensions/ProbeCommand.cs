namespace HierTcn.StateStore.Server.Extensions;

/// <summary>
/// <c>HierTcn.StateStore.Server probe --data DIR --checkpoint TOKEN [--StateStore:Name=value ...]</c>: recovers one
/// checkpoint into a throwaway store and reads its whole store log (<see cref="CheckpointProbe.Run"/>).
/// The shard runs it as a child process before recovering a checkpoint itself, because a damaged store log can make
/// FASTER read out of bounds, which ends the process. Exit code 0: usable (prints the records read and how many fail
/// their checksum); 1: unusable (prints why); 2: bad arguments; a crash: unusable.
/// </summary>
public static class ProbeCommand
{
    /// <summary>True when the first argument is "probe".</summary>
    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == "probe";

    /// <summary>Runs the command; returns the process exit code.</summary>
    public static int Run(string[] args) => CheckpointProbe.Run(args);
}

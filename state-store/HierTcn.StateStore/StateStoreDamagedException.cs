namespace HierTcn.StateStore;

/// <summary>
/// The data directory is damaged in a way the engine cannot recover from without losing acknowledged writes, so it
/// refuses to open rather than serve a silently older state. <see cref="Exception.Message"/> says what is damaged;
/// <see cref="RepairCommand"/> is the documented way out (state-store/README.md, "Damaged files").
/// </summary>
public sealed class StateStoreDamagedException : Exception
{
    public StateStoreDamagedException()
    {
        RepairCommand = "";
        Reason = "";
    }

    public StateStoreDamagedException(string message)
        : this(message, "")
    {
    }

    public StateStoreDamagedException(string message, Exception innerException)
        : base(message, innerException)
    {
        RepairCommand = "";
        Reason = message;
    }

    /// <summary>Creates the exception for <paramref name="reason"/> with its repair command.</summary>
    public StateStoreDamagedException(string reason, string repairCommand)
        : base(repairCommand.Length == 0 ? reason : $"{reason}. Repair: {repairCommand}")
    {
        Reason = reason;
        RepairCommand = repairCommand;
    }

    /// <summary>What is damaged and what that means for the stored states.</summary>
    public string Reason { get; }

    /// <summary>The command that repairs the directory, with what it gives up; empty when none applies.</summary>
    public string RepairCommand { get; }
}

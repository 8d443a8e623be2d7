using System.Diagnostics;
using System.Globalization;

namespace HierTcn.StateStore.Server;

/// <summary>Runs <c>probe</c> (<see cref="Extensions.ProbeCommand"/>) in a child process (<c>dotnet
/// HierTcn.StateStore.Server.dll probe ...</c>, this assembly, the engine's settings), so that a checkpoint whose store
/// log would crash FASTER's recovery crashes the child instead of the host. Pass <see cref="ProbeAsync"/> to
/// <see cref="StateStoreEngine.OpenAsync(StateStoreOptions, Microsoft.Extensions.Logging.ILoggerFactory?, TimeProvider?, Func{Guid, CancellationToken, Task{string?}}?, CancellationToken)"/>.
/// Costs one process start plus one recovery and store-log read per checkpoint tried.</summary>
public sealed class RecoveryProbe(StateStoreOptions options)
{
    private const int OutputLines = 20;

    /// <summary>Null when checkpoint <paramref name="token"/> recovered and read cleanly in the child; otherwise why
    /// not (exit code and the end of its output).</summary>
    public async Task<string?> ProbeAsync(Guid token, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args =
        [
            typeof(RecoveryProbe).Assembly.Location, "probe",
            "--data", options.DataDirectory,
            "--checkpoint", token.ToString(),
            Setting(nameof(options.IndexBuckets), options.IndexBuckets),
            Setting(nameof(options.StorePageSizeBits), options.StorePageSizeBits),
            Setting(nameof(options.StoreMemorySizeBits), options.StoreMemorySizeBits),
            Setting(nameof(options.SegmentSizeBits), options.SegmentSizeBits),
        ];
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        // A crash in the child must not leave a core file per start.
        info.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("the recovery probe did not start");
        var output = new Queue<string>();
        void Keep(string? line)
        {
            if (line is null)
                return;
            lock (output)
            {
                output.Enqueue(line);
                if (output.Count > OutputLines)
                    output.Dequeue();
            }
        }
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
        if (process.ExitCode == 0)
            return null;
        string tail;
        lock (output)
            tail = string.Join(" | ", output.Where(l => !string.IsNullOrWhiteSpace(l)).Take(6).Select(l => l.Trim()));
        return string.Create(CultureInfo.InvariantCulture, $"the recovery probe (a child process) exited with code {process.ExitCode}: {tail}");
    }

    private static string Setting(string name, long value) => string.Create(CultureInfo.InvariantCulture, $"--StateStore:{name}={value}");

    /// <summary>The dotnet host running this process when there is one, else the one on PATH.</summary>
    private static string DotnetHost()
        => Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}

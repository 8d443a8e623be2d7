using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace HierTcn.StateStore;

/// <summary>
/// Recovers a checkpoint in a child process before the host recovers it itself: a damaged store log can make FASTER's
/// recovery read out of bounds (an access violation, which ends any .NET process whatever catches it), so the child
/// dies instead of the host. The child is <c>dotnet HOST.dll VERB --data DIR --checkpoint TOKEN
/// --StateStore:Name=value...</c>; the host's entry point answers it with <see cref="Run"/> before anything else
/// (the shard server's verb is <c>probe</c>; other hosts use <see cref="Verb"/>). Pass <see cref="ProbeAsync"/> to
/// <see cref="StateStoreEngine.OpenAsync(StateStoreOptions, Microsoft.Extensions.Logging.ILoggerFactory?, TimeProvider?, Func{Guid, CancellationToken, Task{string?}}?, CancellationToken)"/>.
/// Costs one process start plus one recovery and store-log read per checkpoint tried.
/// </summary>
/// <param name="options">The engine's settings (those that shape the files are passed to the child).</param>
/// <param name="hostAssembly">The assembly whose entry point answers <paramref name="verb"/> with <see cref="Run"/>.</param>
/// <param name="verb">The first argument of the child's command line.</param>
public sealed class CheckpointProbe(StateStoreOptions options, string hostAssembly, string verb = CheckpointProbe.Verb)
{
    /// <summary>The verb of hosts other than the shard server (the inference server's embedded store).</summary>
    public const string Verb = "probe-state-store";

    private const int OutputLines = 20;

    /// <summary>A probe that runs this process's entry assembly with <see cref="Verb"/>; its entry point must start
    /// with <c>if (CheckpointProbe.IsInvoked(args)) return CheckpointProbe.Run(args);</c>.</summary>
    /// <exception cref="InvalidOperationException">The process has no entry assembly.</exception>
    public static CheckpointProbe ForEntryAssembly(StateStoreOptions options)
        => new(options, Assembly.GetEntryAssembly()?.Location is { Length: > 0 } path ? path : throw new InvalidOperationException("this process has no entry assembly to run the probe with"));

    /// <summary>True when <paramref name="args"/> start with <see cref="Verb"/>.</summary>
    public static bool IsInvoked(string[] args) => args is [Verb, ..];

    /// <summary>The child's side: <c>VERB --data DIR --checkpoint TOKEN [--StateStore:Name=value ...]</c> recovers
    /// the checkpoint into a throwaway store and reads its whole store log (<see cref="StateStoreEngine.ProbeCheckpoint"/>).
    /// Returns the exit code: 0 usable (prints the records read and how many fail their checksum), 1 unusable (prints
    /// why), 2 bad arguments. A crash is unusable too.</summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? data = null, checkpoint = null;
        var options = new StateStoreOptions();
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length)
                data = args[++i];
            else if (args[i] == "--checkpoint" && i + 1 < args.Length)
                checkpoint = args[++i];
            else if (!TrySet(options, args[i]))
                return Usage(args[0], $"unexpected argument '{args[i]}'");
        }
        if (data is null || !Guid.TryParse(checkpoint, out var token))
            return Usage(args.Length > 0 ? args[0] : Verb, "--data DIR and --checkpoint TOKEN are required");
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

    /// <summary>Null when checkpoint <paramref name="token"/> recovered and read cleanly in the child; otherwise why
    /// not (exit code and the end of its output).</summary>
    public async Task<string?> ProbeAsync(Guid token, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args =
        [
            hostAssembly, verb,
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

    /// <summary>Applies one <c>--StateStore:Name=value</c> of the settings that shape the files; other engine settings
    /// are accepted and ignored (the probe neither writes nor expires).</summary>
    private static bool TrySet(StateStoreOptions options, string arg)
    {
        const string Prefix = "--StateStore:";
        int equals = arg.IndexOf('=', StringComparison.Ordinal);
        if (!arg.StartsWith(Prefix, StringComparison.Ordinal) || equals < 0)
            return false;
        string name = arg[Prefix.Length..equals], value = arg[(equals + 1)..];
        bool isLong = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long number);
        switch (name)
        {
            case nameof(StateStoreOptions.IndexBuckets) when isLong:
                options.IndexBuckets = number;
                return true;
            case nameof(StateStoreOptions.StorePageSizeBits) when isLong:
                options.StorePageSizeBits = (int)number;
                return true;
            case nameof(StateStoreOptions.StoreMemorySizeBits) when isLong:
                options.StoreMemorySizeBits = (int)number;
                return true;
            case nameof(StateStoreOptions.SegmentSizeBits) when isLong:
                options.SegmentSizeBits = (int)number;
                return true;
            case nameof(StateStoreOptions.IndexBuckets) or nameof(StateStoreOptions.StorePageSizeBits)
                or nameof(StateStoreOptions.StoreMemorySizeBits) or nameof(StateStoreOptions.SegmentSizeBits):
                return false;
            default:
                return true;
        }
    }

    private static int Usage(string verb, string problem)
    {
        Console.Error.WriteLine($"{verb}: {problem}");
        Console.Error.WriteLine($"usage: {verb} --data DIR --checkpoint TOKEN [--StateStore:Name=value ...]");
        return 2;
    }

    private static string Setting(string name, long value) => string.Create(CultureInfo.InvariantCulture, $"--StateStore:{name}={value}");

    /// <summary>The dotnet host running this process when there is one, else the one on PATH.</summary>
    private static string DotnetHost()
        => Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}

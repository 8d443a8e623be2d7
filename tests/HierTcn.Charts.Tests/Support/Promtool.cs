using System.Diagnostics;

namespace HierTcn.Charts.Tests.Support;

/// <summary>Prometheus's promtool (Debian package prometheus, listed in .ci/packages.txt), when it is on the PATH.</summary>
public static class Promtool
{
    private static readonly Lazy<string?> s_path = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "promtool"))
            .FirstOrDefault(File.Exists));

    /// <summary>Full path of promtool, or null when it is not installed.</summary>
    public static string? Executable => s_path.Value;

    /// <summary>Runs promtool with <paramref name="arguments"/> in <paramref name="workingDirectory"/>; returns its
    /// exit code and everything it printed.</summary>
    public static (int ExitCode, string Output) Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable ?? throw new InvalidOperationException("promtool is not installed"))
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"promtool {string.Join(' ', arguments)} ran for over 2 minutes");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A fact that needs promtool; reported as skipped, with the reason, where it is not installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (Promtool.Executable is null)
            Skip = "promtool not found on PATH (install Debian package prometheus, listed in .ci/packages.txt)";
    }
}

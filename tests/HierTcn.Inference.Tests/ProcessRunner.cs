using System.Diagnostics;

namespace HierTcn.Inference.Tests;

/// <summary>Runs an outside program (Python, promtool) and collects what it printed.</summary>
internal static class ProcessRunner
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>, feeding <paramref name="stdin"/> when given;
    /// kills it after <paramref name="timeoutSeconds"/>.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args, string? stdin = null,
        string? workingDirectory = null, int timeoutSeconds = 120)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null)
            await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} ran for over {timeoutSeconds} s");
        }
        return (p.ExitCode, await stdout, await stderr);
    }
}

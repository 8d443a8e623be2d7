using System.Diagnostics;

namespace HierTcn.Fleet.Tests;

/// <summary>A fact that needs the openssl command (Debian package openssl, which charts/local-fleet/run.sh --tls
/// makes its certificates with); skipped, visibly, where it is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpenSslFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(Probe);

    public OpenSslFactAttribute()
    {
        if (Missing.Value is { } why)
        {
            Skip = why;
        }
    }

    private static string? Probe()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("openssl", "version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"openssl version exited with {process.ExitCode} (install Debian package openssl)";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"openssl not found ({e.Message}); install Debian package openssl";
        }
    }
}

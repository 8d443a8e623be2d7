using System.Diagnostics;

namespace HierTcn.Data.Tests.CrossCheck;

/// <summary>A theory that is skipped, visibly, when <c>python3</c> is not on the PATH.</summary>
public sealed class PythonTheoryAttribute : TheoryAttribute
{
    private static readonly Lazy<bool> s_available = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("python3", "--version") { RedirectStandardOutput = true, RedirectStandardError = true });
            if (p is null)
            {
                return false;
            }
            p.WaitForExit(10_000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    public PythonTheoryAttribute()
    {
        if (!s_available.Value)
        {
            Skip = "python3 not found on PATH: the independent protocol reference (tests/protocol-reference) cannot run";
        }
    }
}

using System.Diagnostics;

namespace HierTcn.Inference.Tests;

/// <summary>A fact that needs Debian's Python with gRPC, grpc_tools, setuptools, wheel and venv (python3-grpcio,
/// python3-grpc-tools, python3-setuptools, python3-wheel, python3-venv; .ci/packages.txt); skipped, visibly, where any is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PythonGrpcFactAttribute : FactAttribute
{
    /// <summary>Debian's interpreter, where the python3-* packages install, not a pyenv python3 earlier on PATH.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(Probe);

    public PythonGrpcFactAttribute()
    {
        if (Missing.Value is { } why)
            Skip = why;
    }

    private static string? Probe()
    {
        const string Packages = "install Debian packages python3-grpcio python3-grpc-tools python3-setuptools python3-wheel python3-venv";
        if (!File.Exists(Python))
            return $"{Python} not found; {Packages}";
        var psi = new ProcessStartInfo(Python, ["-c", "import grpc, grpc_tools.protoc, setuptools, wheel, venv, ensurepip"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            return $"{Python} did not answer within 60 s";
        }
        return p.ExitCode == 0 ? null : $"{Python} lacks a module ({Packages}): {stderr.Result.Trim().Split('\n')[^1]}";
    }
}

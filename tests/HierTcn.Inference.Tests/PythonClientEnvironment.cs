namespace HierTcn.Inference.Tests;

/// <summary>A fresh virtual environment (Debian's Python, system site packages for grpcio and grpc_tools) with
/// clients/python pip-installed into it, as its README says: built once per test class, on first use, from a copy
/// of clients/python and protos/ in a temp directory (the build leaves nothing in the repository).</summary>
public sealed class PythonClientEnvironment : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hiertcn-pyclient-").FullName;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _python;

    /// <summary>The copy of clients/python (its tests/ folder included).</summary>
    public string PackageDirectory => Path.Combine(_root, "clients", "python");

    /// <summary>Creates the environment and installs the package once; returns the environment's python.</summary>
    public async Task<string> PythonAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _python ??= await InstallAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> InstallAsync()
    {
        CopyTree(RepoPaths.File("clients", "python"), PackageDirectory);
        CopyTree(RepoPaths.File("protos"), Path.Combine(_root, "protos"));
        string venv = Path.Combine(_root, "venv");
        var created = await ProcessRunner.RunAsync(PythonGrpcFactAttribute.Python, ["-m", "venv", "--system-site-packages", venv]);
        Assert.True(created.Code == 0, $"venv: {created.Stdout}{created.Stderr}");
        string python = Path.Combine(venv, "bin", "python");
        var installed = await ProcessRunner.RunAsync(python, ["-m", "pip", "install", "--no-build-isolation", "--no-index", PackageDirectory],
            timeoutSeconds: 300);
        Assert.True(installed.Code == 0, $"pip install: {installed.Stdout}{installed.Stderr}");
        return python;
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string dir in Directory.GetDirectories(from))
        {
            string name = Path.GetFileName(dir);
            // Leftovers of a local pip install are not part of the package.
            if (name is "build" or "__pycache__" || name.EndsWith(".egg-info", StringComparison.Ordinal))
                continue;
            CopyTree(dir, Path.Combine(to, name));
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using HierTcn.StateStore.Client;

namespace HierTcn.StateStore.Tests.Support;

/// <summary>The shard server as a child process (<c>dotnet HierTcn.StateStore.Server.dll --urls ...</c>), killable
/// with SIGKILL. Keeps the last lines of its output for failure messages.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public string OutputTail => string.Join('\n', _output);

    /// <summary>The server assembly built next to this test project (same configuration).</summary>
    public static string ServerAssembly()
    {
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = baseDir.Name, configuration = baseDir.Parent!.Name;
        var root = baseDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "state-store", "HierTcn.StateStore.Server", "bin", configuration, framework, "HierTcn.StateStore.Server.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("the state store server is not built", path);
    }

    public static int FreePort() => HierTcn.Tests.Shared.LoopbackPort.Free();

    public static ServerProcess Start(int port, string dataDirectory, params string[] extraArgs) =>
        Launch(port, dataDirectory, shippedLogging: false, workingDirectory: null, extraArgs);

    /// <summary>Started from <paramref name="workingDirectory"/> with the logging levels of the appsettings.json
    /// beside the program (the tests' own Warning levels left out), as a deployment runs it.</summary>
    public static ServerProcess StartWithShippedLogging(int port, string dataDirectory, string workingDirectory) =>
        Launch(port, dataDirectory, shippedLogging: true, workingDirectory, []);

    private static ServerProcess Launch(int port, string dataDirectory, bool shippedLogging, string? workingDirectory, string[] extraArgs)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
            info.WorkingDirectory = workingDirectory;
        var options = TestStates.SmallOptions(dataDirectory);
        string[] logging = shippedLogging ? [] : ["--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:HierTcn=Information"];
        string[] args =
        [
            ServerAssembly(),
            "--urls", $"http://127.0.0.1:{port}",
            $"--StateStore:DataDirectory={dataDirectory}",
            $"--StateStore:IndexBuckets={options.IndexBuckets}",
            $"--StateStore:StorePageSizeBits={options.StorePageSizeBits}",
            $"--StateStore:StoreMemorySizeBits={options.StoreMemorySizeBits}",
            $"--StateStore:SegmentSizeBits={options.SegmentSizeBits}",
            $"--StateStore:MaxStateBytes={options.MaxStateBytes}",
            "--StateStoreServer:MetricsPort=0",
            .. logging,
            .. extraArgs,
        ];
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_TieredPGO"] = "0";
        return new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Waits until the server answers <paramref name="store"/>'s reads (a probe key: NotFound); fails with the
    /// server's output when it exits or 60 s pass.</summary>
    public async Task WaitReadyAsync(RemoteStateStore store)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var probe = await store.GetAsync(new StateKey("probe", 0));
            if (probe.Status == StoreStatus.NotFound)
                return;
            Assert.False(HasExited, "the server exited during start:\n" + OutputTail);
            Assert.True(DateTime.UtcNow < deadline, "the server did not answer within 60 s:\n" + OutputTail);
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        _output.Enqueue(line);
        while (_output.Count > 60)
            _output.TryDequeue(out _);
    }
}

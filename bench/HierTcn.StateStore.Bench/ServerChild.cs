using System.Diagnostics;
using HierTcn.StateStore.Client;

namespace HierTcn.StateStore.Bench;

/// <summary>The shard server as a child process on 127.0.0.1.</summary>
public sealed class ServerChild : IDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private ServerChild(Process process) => _process = process;

    public static ServerChild Start(int port, StateStoreOptions options)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "HierTcn.StateStore.Server.dll");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            dll, "--urls", $"http://127.0.0.1:{port}",
            $"--StateStore:DataDirectory={options.DataDirectory}",
            $"--StateStore:IndexBuckets={options.IndexBuckets}",
            $"--StateStore:StoreMemorySizeBits={options.StoreMemorySizeBits}",
            $"--StateStore:CheckpointInterval={options.CheckpointInterval}",
            "--StateStore:UserTtl=00:00:00",
            "--StateStoreServer:MetricsPort=0",
            "--Logging:LogLevel:Default=Warning",
        })
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine("  [server] " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine("  [server] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServerChild(process);
    }

    public async Task WaitReadyAsync(IStateStore store)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while ((await store.GetAsync(new StateKey("probe", 0))).Status != StoreStatus.NotFound)
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException("the server did not start");
            await Task.Delay(50);
        }
    }

    public long RssMiB()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) >> 10;
    }

    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Kill();
        _process.Dispose();
    }
}

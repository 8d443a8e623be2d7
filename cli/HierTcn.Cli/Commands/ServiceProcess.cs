using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HierTcn.Cli.Commands;

/// <summary>The Recommender started as a child process by <c>inference/serve</c> (embedded state store), for the
/// quickstart. Disposing stops it (SIGTERM, then kill after a grace period).</summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Address => $"http://127.0.0.1:{Port}";

    /// <summary>Starts the service and waits until it accepts connections (the first start also builds the server).
    /// Throws <see cref="IOException"/> when it exits or does not listen within <paramref name="timeout"/>.</summary>
    public static ServiceProcess Start(string repoRoot, string bundles, string snapshots, string version, string store, TimeSpan timeout)
    {
        int port = FreePort();
        int metricsPort = FreePort();
        var info = new ProcessStartInfo(Path.Combine(repoRoot, "inference", "serve"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[]
        {
            "--bundles", bundles, "--snapshots", snapshots, "--version", version, "--store", store,
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--metrics-port", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info) ?? throw new IOException("inference/serve did not start");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => Keep(log, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, port);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new IOException($"the Recommender exited with code {process.ExitCode}:\n{string.Join('\n', log)}");
            }
            if (Listening(port))
            {
                return service;
            }
            Thread.Sleep(250);
        }
        service.Dispose();
        throw new IOException($"the Recommender did not listen on port {port} within {timeout.TotalSeconds:F0} s:\n{string.Join('\n', log)}");
    }

    private static void Keep(System.Collections.Concurrent.ConcurrentQueue<string> log, string? line)
    {
        if (line is null)
        {
            return;
        }
        log.Enqueue(line);
        while (log.Count > 40)
        {
            log.TryDequeue(out _);
        }
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // The server is `exec`ed by the script, so this pid is the server itself: SIGTERM lets it checkpoint.
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        _process.Dispose();
    }
}

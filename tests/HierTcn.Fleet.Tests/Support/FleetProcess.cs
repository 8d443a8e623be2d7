using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace HierTcn.Fleet.Tests.Support;

/// <summary>One server of the local fleet as a child process (<c>dotnet Server.dll --key=value ...</c>) on
/// 127.0.0.1, killable with SIGKILL; keeps the last lines of its output for failure messages.</summary>
public sealed class FleetProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private FleetProcess(string name, int port, string scheme, Process process)
    {
        Name = name;
        Port = port;
        Address = $"{scheme}://127.0.0.1:{port}";
        _process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Port { get; }

    public string Address { get; }

    public bool HasExited => _process.HasExited;

    public string OutputTail => $"--- {Name} output ---\n" + string.Join('\n', _output);

    /// <summary>Starts <paramref name="assembly"/> with <paramref name="arguments"/>; the working directory is the
    /// assembly's folder, so its appsettings.json is read (command-line arguments override it).</summary>
    public static FleetProcess Start(string name, string assembly, int port, IEnumerable<string> arguments, string scheme = "http")
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        info.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_TieredPGO"] = "0";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return new FleetProcess(name, port, scheme, Process.Start(info) ?? throw new InvalidOperationException($"{name}: dotnet did not start"));
    }

    public static int FreePort() => HierTcn.Tests.Shared.LoopbackPort.Free();

    /// <summary>Waits until the standard gRPC health service answers SERVING; fails with the process output when
    /// the process exits or <paramref name="timeout"/> passes. <paramref name="handler"/> makes the client's HTTP
    /// handler (a TLS one for a secure fleet; null: the default).</summary>
    public async Task WaitServingAsync(TimeSpan timeout, Func<HttpMessageHandler?>? handler = null)
    {
        using var channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions { HttpHandler = handler?.Invoke() });
        var health = new Health.HealthClient(channel);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (HasExited)
                throw new InvalidOperationException($"{Name} exited during start (code {_process.ExitCode})\n{OutputTail}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Name} was not serving within {timeout.TotalSeconds:F0} s\n{OutputTail}");
            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                    return;
            }
            catch (RpcException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
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
        while (_output.Count > 80)
            _output.TryDequeue(out _);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HierTcn.StateStore.Tests.Support;

/// <summary>A real RESP cluster on loopback: one server process per node, each with its own directory, formed by
/// <c>redis-cli --cluster create</c>. Redis nodes run with AOF and <c>appendfsync always</c>; Garnet nodes with AOF,
/// <c>--aof-commit-wait</c>, and Lua in transaction mode. Disposing kills every node and deletes the directory.</summary>
public sealed class RespCluster : IAsyncDisposable
{
    private static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(90);
    private readonly List<Node> _nodes = [];
    private readonly TempDirectory _directory = new();

    private readonly RespTls? _tls;

    private RespCluster(RespEngine engine, RespTls? tls)
    {
        Engine = engine;
        _tls = tls;
    }

    public RespEngine Engine { get; }

    /// <summary>Every node as 127.0.0.1:port, primaries first.</summary>
    public IReadOnlyList<string> Endpoints => [.. _nodes.Select(n => n.Endpoint)];

    /// <summary>Starts <paramref name="primaries"/> primaries with <paramref name="replicasEach"/> replicas each and
    /// waits until every node reports the cluster ok. With <paramref name="tls"/> (Redis only) the nodes speak TLS
    /// only, mutual TLS for clients.</summary>
    public static async Task<RespCluster> StartAsync(RespEngine engine, int primaries = 3, int replicasEach = 0, RespTls? tls = null)
    {
        if (tls is not null && engine != RespEngine.Redis)
            throw new NotSupportedException("the test cluster starts TLS nodes for Redis only");
        var cluster = new RespCluster(engine, tls);
        try
        {
            for (int i = 0; i < primaries * (1 + replicasEach); i++)
                cluster._nodes.Add(cluster.StartNode(i));
            foreach (var node in cluster._nodes)
                await node.WaitListeningAsync(FormTimeout);
            var create = new List<string> { "--cluster", "create" };
            create.AddRange(cluster.Endpoints);
            create.AddRange(["--cluster-replicas", replicasEach.ToString(), "--cluster-yes"]);
            var (code, output) = await cluster.RunCliAsync(create);
            if (code != 0)
                throw new InvalidOperationException($"redis-cli --cluster create failed ({code}): {output}");
            await cluster.WaitUntilOkAsync();
            await cluster.WaitReplicasOnlineAsync(primaries, replicasEach);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs redis-cli with <paramref name="args"/> (and the cluster's TLS files); returns its exit code and
    /// output.</summary>
    public async Task<(int Code, string Output)> RunCliAsync(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(RespTools.RedisCli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (_tls is not null)
        {
            foreach (var arg in new[] { "--tls", "--cacert", _tls.CaFile, "--cert", _tls.CertificateFile, "--key", _tls.KeyFile })
                info.ArgumentList.Add(arg);
        }
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(FormTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException("redis-cli " + string.Join(' ', info.ArgumentList) + " did not finish");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>SIGKILL for node <paramref name="index"/> (the first nodes are the primaries as formed).</summary>
    public void Kill(int index) => _nodes[index].Kill();

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
            node.Kill();
        foreach (var node in _nodes)
            await node.WaitExitAsync();
        _directory.Dispose();
    }

    private async Task WaitUntilOkAsync()
    {
        var deadline = DateTime.UtcNow + FormTimeout;
        foreach (var node in _nodes)
        {
            while (true)
            {
                var (code, output) = await RunCliAsync(["-h", "127.0.0.1", "-p", node.Port.ToString(), "cluster", "info"]);
                if (code == 0 && output.Contains("cluster_state:ok", StringComparison.Ordinal))
                    break;
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"node {node.Endpoint} did not report cluster_state:ok: {output}\n{node.OutputTail}");
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Waits until each primary reports its replicas online (initial sync done).</summary>
    private async Task WaitReplicasOnlineAsync(int primaries, int replicasEach)
    {
        if (replicasEach == 0)
            return;
        var deadline = DateTime.UtcNow + FormTimeout;
        var primaryNodes = new List<Node>();
        foreach (var node in _nodes)
        {
            var (_, role) = await RunCliAsync(["-h", "127.0.0.1", "-p", node.Port.ToString(), "role"]);
            if (role.StartsWith("master", StringComparison.Ordinal))
                primaryNodes.Add(node);
        }
        Assert.Equal(primaries, primaryNodes.Count);
        foreach (var node in primaryNodes)
        {
            while (true)
            {
                var (_, info) = await RunCliAsync(["-h", "127.0.0.1", "-p", node.Port.ToString(), "info", "replication"]);
                if (info.Split("state=online").Length - 1 >= replicasEach)
                    break;
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"the replicas of {node.Endpoint} did not come online: {info}");
                await Task.Delay(200);
            }
        }
    }

    private Node StartNode(int index)
    {
        string dir = _directory.Sub("node" + index);
        Directory.CreateDirectory(dir);
        int port = FreePortPair();
        ProcessStartInfo info;
        if (Engine == RespEngine.Redis)
        {
            info = new ProcessStartInfo(RespTools.RedisServer);
            foreach (var arg in new[]
            {
                // With TLS the port is the TLS port and plain TCP is off.
                "--port", _tls is null ? port.ToString() : "0", "--bind", "127.0.0.1", "--protected-mode", "no", "--dir", dir,
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
                "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--loglevel", "warning",
                // A replica syncs at once (not after the default 5 s) and may be promoted however long its primary
                // has been gone.
                "--repl-diskless-sync-delay", "0", "--cluster-replica-validity-factor", "0",
            })
                info.ArgumentList.Add(arg);
            if (_tls is not null)
            {
                foreach (var arg in new[]
                {
                    "--tls-port", port.ToString(), "--tls-cluster", "yes", "--tls-replication", "yes", "--tls-auth-clients", "yes",
                    "--tls-cert-file", _tls.CertificateFile, "--tls-key-file", _tls.KeyFile, "--tls-ca-cert-file", _tls.CaFile,
                })
                    info.ArgumentList.Add(arg);
            }
        }
        else
        {
            info = new ProcessStartInfo(RespTools.GarnetServer);
            foreach (var arg in new[]
            {
                "--port", port.ToString(), "--bind", "127.0.0.1", "--cluster", "--lua", "--lua-transaction-mode",
                "--aof", "--aof-commit-wait", "--aof-memory", "16m", "--aof-page-size", "4m",
                "--storage-tier", "--device-type", "RandomAccess", "-l", dir, "-c", dir, "-m", "64m", "--page", "1m", "-i", "1m",
                "--logger-level", "Warning",
            })
                info.ArgumentList.Add(arg);
            info.Environment["DOTNET_gcServer"] = "0";
        }
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        return new Node(Process.Start(info) ?? throw new InvalidOperationException(info.FileName + " did not start"), port);
    }

    /// <summary>A free port whose Redis cluster bus port (port + 10000) is free too.</summary>
    private static int FreePortPair()
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int port = Random.Shared.Next(20000, 30000);
            if (IsFree(port) && IsFree(port + 10000))
                return port;
        }
        throw new InvalidOperationException("no free port pair found on 127.0.0.1");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>One server process; keeps the last lines of its output for failure messages.</summary>
    private sealed class Node
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();

        public Node(Process process, int port)
        {
            _process = process;
            Port = port;
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int Port { get; }

        public string Endpoint => $"127.0.0.1:{Port}";

        public string OutputTail => string.Join('\n', _output);

        public async Task WaitListeningAsync(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                if (_process.HasExited)
                    throw new InvalidOperationException($"node {Endpoint} exited ({_process.ExitCode}): {OutputTail}");
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, Port);
                    return;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
        }

        /// <summary>SIGKILL.</summary>
        public void Kill()
        {
            try
            {
                if (!_process.HasExited)
                    _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }

        public async Task WaitExitAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
            _process.Dispose();
        }

        private void Keep(string? line)
        {
            if (line is null)
                return;
            _output.Enqueue(line);
            while (_output.Count > 40)
                _output.TryDequeue(out _);
        }
    }
}

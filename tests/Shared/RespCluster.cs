using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace HierTcn.Tests.Shared;

/// <summary>A real RESP cluster on loopback: one server process per node, each with its own directory, formed by
/// <c>redis-cli --cluster create</c>. Redis nodes run with AOF and <c>appendfsync always</c>; Garnet nodes with AOF,
/// <c>--aof-commit-wait</c>, and Lua in transaction mode. Disposing kills every node and deletes the directory.</summary>
public sealed class RespCluster : IAsyncDisposable
{
    private static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(90);
    private readonly List<Node> _nodes = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("hiertcn-resp-").FullName;

    private readonly RespTls? _tls;
    private readonly int _nodeTimeoutMs;
    private readonly string _appendFsync;

    private RespCluster(RespEngine engine, RespTls? tls, int nodeTimeoutMs, string appendFsync)
    {
        Engine = engine;
        _tls = tls;
        _nodeTimeoutMs = nodeTimeoutMs;
        _appendFsync = appendFsync;
    }

    public RespEngine Engine { get; }

    /// <summary>Every node as 127.0.0.1:port, primaries first.</summary>
    public IReadOnlyList<string> Endpoints => [.. _nodes.Select(n => n.Endpoint)];

    /// <summary>Starts <paramref name="primaries"/> primaries with <paramref name="replicasEach"/> replicas each and
    /// waits until every node reports the cluster ok. With <paramref name="tls"/> the nodes speak TLS only, mutual TLS
    /// for clients (Garnet: <c>--tls</c>, client certificates required by default, issuers checked against the
    /// authority, the nodes checking each other by the certificate's first DNS name). <paramref name="nodeTimeoutMs"/> is Redis's <c>cluster-node-timeout</c>: how long
    /// a primary is unreachable before its replica is promoted; <paramref name="appendFsync"/> Redis's
    /// <c>appendfsync</c> (<c>always</c>: the append-only file flushed before each answer; <c>everysec</c>: once a
    /// second).</summary>
    public static async Task<RespCluster> StartAsync(RespEngine engine, int primaries = 3, int replicasEach = 0, RespTls? tls = null,
        int nodeTimeoutMs = 2000, string appendFsync = "always")
    {
        if (appendFsync is not ("always" or "everysec"))
            throw new ArgumentException($"appendfsync {appendFsync}: always or everysec", nameof(appendFsync));
        if (appendFsync != "always" && engine != RespEngine.Redis)
            throw new NotSupportedException("the test cluster sets appendfsync on Redis only (Garnet: --aof-commit-wait)");
        var cluster = new RespCluster(engine, tls, nodeTimeoutMs, appendFsync);
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

    /// <summary>Runs redis-cli against the node at <paramref name="endpoint"/>; returns its output, or throws when it
    /// fails or answers an error.</summary>
    public async Task<string> CliAsync(string endpoint, params string[] command)
    {
        var (code, output) = await RunCliAsync(["-h", "127.0.0.1", "-p", PortOf(endpoint).ToString(), .. command]);
        if (code != 0 || output.StartsWith("ERR", StringComparison.Ordinal) || output.StartsWith("(error)", StringComparison.Ordinal))
            throw new InvalidOperationException($"redis-cli -p {PortOf(endpoint)} {string.Join(' ', command)} failed ({code}): {output}");
        return output;
    }

    /// <summary>The cluster as the node at <paramref name="endpoint"/> sees it (CLUSTER NODES).</summary>
    public async Task<IReadOnlyList<RespClusterNode>> NodesAsync(string endpoint)
        => RespClusterNode.Parse(await CliAsync(endpoint, "cluster", "nodes"));

    /// <summary>SIGKILL for node <paramref name="index"/> (the first nodes are the primaries as formed).</summary>
    public void Kill(int index) => _nodes[index].Kill();

    /// <summary>SIGKILL for the node at <paramref name="endpoint"/>.</summary>
    public void Kill(string endpoint) => _nodes.Single(n => n.Endpoint == endpoint).Kill();

    /// <summary>SIGSTOP for the node at <paramref name="endpoint"/>: it keeps its connections but answers nothing
    /// (a replica then acknowledges nothing to its primary) until <see cref="ResumeAsync"/>.</summary>
    public Task PauseAsync(string endpoint) => _nodes.Single(n => n.Endpoint == endpoint).SignalAsync("STOP");

    /// <summary>SIGCONT for a node paused by <see cref="PauseAsync"/>.</summary>
    public Task ResumeAsync(string endpoint) => _nodes.Single(n => n.Endpoint == endpoint).SignalAsync("CONT");

    /// <summary>Starts one more node, empty, and introduces it to the cluster (CLUSTER MEET); returns its endpoint
    /// once every running node knows it. It owns no slot.</summary>
    public async Task<string> AddNodeAsync()
    {
        var node = StartNode(_nodes.Count);
        _nodes.Add(node);
        await node.WaitListeningAsync(FormTimeout);
        var running = _nodes.Where(n => n != node && n.IsRunning).ToList();
        await CliAsync(running[0].Endpoint, "cluster", "meet", "127.0.0.1", node.Port.ToString());
        var deadline = DateTime.UtcNow + FormTimeout;
        foreach (var other in running.Append(node))
        {
            while (!(await NodesAsync(other.Endpoint)).Any(n => n.Endpoint == node.Endpoint) || (await NodesAsync(node.Endpoint)).Count < running.Count + 1)
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"node {other.Endpoint} did not learn of {node.Endpoint}");
                await Task.Delay(200);
            }
        }
        // Knowing the other nodes is not knowing who owns every slot: until gossip brings that, a new Redis node says
        // CLUSTERDOWN to a MIGRATE (seen in a full test run on a loaded machine), and a new Garnet node refuses SETSLOT
        // IMPORTING from a primary it does not yet know as the slot's owner (seen on a quiet one). Wait until the new
        // node sees every primary's slots as that primary sees its own.
        await WaitNodeOkAsync(node, deadline);
        foreach (var other in running)
        {
            var own = (await NodesAsync(other.Endpoint)).Single(n => n.Endpoint == other.Endpoint);
            if (!own.IsPrimary)
                continue;
            while ((await NodesAsync(node.Endpoint)).SingleOrDefault(n => n.Endpoint == other.Endpoint) is not { } seen
                || !seen.Slots.SequenceEqual(own.Slots))
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"node {node.Endpoint} did not learn the slots of {other.Endpoint}");
                await Task.Delay(200);
            }
        }
        return node.Endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
            node.Kill();
        foreach (var node in _nodes)
            await node.WaitExitAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Moves <paramref name="slot"/> from the primary at <paramref name="source"/> to the one at
    /// <paramref name="target"/> with the engine's own commands, while clients keep using it: CLUSTER SETSLOT IMPORTING
    /// on the target, MIGRATING on the source, MIGRATE of the slot's keys in batches until none is left (clients that
    /// miss a key on the source are sent on with ASK), then SETSLOT NODE on the target, the source and every other
    /// primary. Returns the number of keys moved.</summary>
    public async Task<int> MigrateSlotAsync(int slot, string source, string target)
    {
        await BeginMigrationAsync(slot, source, target);
        int moved = 0;
        while (await MoveKeysAsync(slot, source, target, 100) is var batch and > 0)
            moved += batch;
        await EndMigrationAsync(slot, source, target);
        return moved;
    }

    /// <summary>The first step of <see cref="MigrateSlotAsync"/>: the target imports <paramref name="slot"/>, the
    /// source migrates it; from now on a key of the slot that the source no longer has is sent on with ASK.</summary>
    public async Task BeginMigrationAsync(int slot, string source, string target)
    {
        var nodes = await NodesAsync(source);
        string sourceId = nodes.Single(n => n.Endpoint == source).Id;
        string targetId = nodes.Single(n => n.Endpoint == target).Id;
        string s = slot.ToString();
        await CliAsync(target, "cluster", "setslot", s, "importing", sourceId);
        await CliAsync(source, "cluster", "setslot", s, "migrating", targetId);
    }

    /// <summary>MIGRATEs up to <paramref name="count"/> keys of <paramref name="slot"/> (CLUSTER GETKEYSINSLOT, or
    /// just <paramref name="keys"/> when given) from <paramref name="source"/> to <paramref name="target"/>; returns
    /// how many were sent.</summary>
    public async Task<int> MoveKeysAsync(int slot, string source, string target, int count, params RedisKey[] keys)
    {
        await using var admin = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { source }, AllowAdmin = true, AsyncTimeout = 60_000 });
        var server = admin.GetServer(source);
        if (keys.Length == 0)
            keys = (RedisKey[])(await server.ExecuteAsync("CLUSTER", "GETKEYSINSLOT", slot, count))!;
        if (keys.Length == 0)
            return 0;
        // A MIGRATE waits for the target; on a loaded machine that took Garnet over 5 s (the client's default).
        var args = new List<object> { "127.0.0.1", PortOf(target), "", 0, 30_000, "KEYS" };
        args.AddRange(keys.Cast<object>());
        var reply = await server.ExecuteAsync("MIGRATE", args);
        if (reply.IsNull || (string?)reply is not ("OK" or "NOKEY"))
            throw new InvalidOperationException($"MIGRATE of slot {slot} from {source} to {target}: {reply}");
        return keys.Length;
    }

    /// <summary>The last step of <see cref="MigrateSlotAsync"/>: SETSLOT NODE on the target, the source and every other
    /// primary.</summary>
    public async Task EndMigrationAsync(int slot, string source, string target)
    {
        var nodes = await NodesAsync(source);
        string targetId = nodes.Single(n => n.Endpoint == target).Id;
        string s = slot.ToString();
        await CliAsync(target, "cluster", "setslot", s, "node", targetId);
        await CliAsync(source, "cluster", "setslot", s, "node", targetId);
        foreach (var other in nodes.Where(n => n.IsPrimary && !n.Failing && n.Endpoint != source && n.Endpoint != target))
            await CliAsync(other.Endpoint, "cluster", "setslot", s, "node", targetId);
    }

    /// <summary>Restarts the node at <paramref name="endpoint"/> (killed before) on its port and directory: Redis
    /// reads its nodes.conf and append-only file and rejoins as the node it was.</summary>
    public async Task RestartAsync(string endpoint)
    {
        int index = _nodes.FindIndex(n => n.Endpoint == endpoint);
        await _nodes[index].WaitExitAsync();
        _nodes[index] = StartNode(index, _nodes[index].Port);
        await _nodes[index].WaitListeningAsync(FormTimeout);
    }

    /// <summary>A user's key as the RESP state store writes it (state-store/README.md, "RESP cluster"): the key prefix,
    /// the int64 user id little-endian, the model version.</summary>
    public static byte[] StateKeyOf(string prefix, long user, string modelVersion)
    {
        var id = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(id, user);
        return [.. System.Text.Encoding.UTF8.GetBytes(prefix), .. id, .. System.Text.Encoding.UTF8.GetBytes(modelVersion)];
    }

    /// <summary>The hash slot of <paramref name="key"/>: CRC16 (XMODEM) modulo 16384 of the key, or of its hash tag
    /// (the bytes between the first '{' and the next '}', when not empty).</summary>
    public static int SlotOf(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open >= 0)
        {
            int close = key[(open + 1)..].IndexOf((byte)'}');
            if (close > 0)
                key = key.Slice(open + 1, close);
        }
        int crc = 0;
        foreach (byte b in key)
        {
            crc ^= b << 8;
            for (int i = 0; i < 8; i++)
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
        }
        return (crc & 0xFFFF) % 16384;
    }

    private static int PortOf(string endpoint) => int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private async Task WaitUntilOkAsync()
    {
        var deadline = DateTime.UtcNow + FormTimeout;
        foreach (var node in _nodes)
            await WaitNodeOkAsync(node, deadline);
    }

    private async Task WaitNodeOkAsync(Node node, DateTime deadline)
    {
        while (true)
        {
            var (code, output) = await RunCliAsync(["-h", "127.0.0.1", "-p", node.Port.ToString(), "cluster", "info"]);
            if (code == 0 && output.Contains("cluster_state:ok", StringComparison.Ordinal))
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"node {node.Endpoint} did not report cluster_state:ok: {output}\n{node.OutputTail}");
            await Task.Delay(200);
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
        if (primaryNodes.Count != primaries)
            throw new InvalidOperationException($"{primaryNodes.Count} nodes report the primary role, expected {primaries}");
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
        // A replica's primary reaches the other nodes by gossip: until every node lists each primary with its
        // replicas, a test that looks up "the replica of the primary owning slot s" on one node may find none
        // (Garnet, CI run of 2026-12-03).
        foreach (var node in _nodes)
        {
            while (true)
            {
                var view = await NodesAsync(node.Endpoint);
                var primaryIds = view.Where(n => n.IsPrimary).Select(n => n.Id).ToList();
                if (primaryIds.Count == primaries && primaryIds.All(id => view.Count(n => n.PrimaryId == id) >= replicasEach))
                    break;
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"node {node.Endpoint} does not list {primaries} primaries with {replicasEach} replicas each: " +
                        string.Join("; ", view.Select(n => $"{n.Endpoint} {(n.IsPrimary ? "primary" : "replica of " + n.PrimaryId)}")));
                await Task.Delay(200);
            }
        }
    }

    private Node StartNode(int index, int port = 0)
    {
        string dir = Path.Combine(_directory, "node" + index);
        Directory.CreateDirectory(dir);
        if (port == 0)
            port = FreePortPair();
        ProcessStartInfo info;
        if (Engine == RespEngine.Redis)
        {
            info = new ProcessStartInfo(RespTools.RedisServer);
            foreach (var arg in new[]
            {
                // With TLS the port is the TLS port and plain TCP is off.
                "--port", _tls is null ? port.ToString() : "0", "--bind", "127.0.0.1", "--protected-mode", "no", "--dir", dir,
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", _nodeTimeoutMs.ToString(),
                "--appendonly", "yes", "--appendfsync", _appendFsync, "--save", "", "--daemonize", "no", "--loglevel", "warning",
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
            if (_tls is not null)
            {
                // Garnet 2.2.12: a PEM certificate in --cert-file-name takes the path of its PEM key in --cert-password.
                // A node checks a peer's certificate against the target host by the certificate's first DNS name
                // only (not the whole list), so the target host is that name.
                using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(_tls.CertificateFile, _tls.KeyFile);
                string peerName = certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false);
                foreach (var arg in new[]
                {
                    "--tls", "--cert-file-name", _tls.CertificateFile, "--cert-password", _tls.KeyFile,
                    "--issuer-certificate-path", _tls.CaFile, "--cluster-tls-client-target-host", peerName,
                })
                    info.ArgumentList.Add(arg);
            }
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
            if (LoopbackPort.IsFree(port) && LoopbackPort.IsFree(port + 10000))
                return port;
        }
        throw new InvalidOperationException("no free port pair found on 127.0.0.1");
    }

    /// <summary>One server process; keeps the last lines of its output for failure messages.</summary>
    private sealed class Node
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();
        private bool _disposed;

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

        public bool IsRunning => !_disposed && !_process.HasExited;

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

        /// <summary>Sends SIG<paramref name="signal"/> to this node's process (by its id, with kill(1)).</summary>
        public async Task SignalAsync(string signal)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process.Id.ToString() }, UseShellExecute = false })
                ?? throw new InvalidOperationException("kill did not start");
            await kill.WaitForExitAsync();
            if (kill.ExitCode != 0)
                throw new InvalidOperationException($"kill -{signal} {_process.Id} ({Endpoint}) failed ({kill.ExitCode})");
        }

        /// <summary>SIGKILL.</summary>
        public void Kill()
        {
            try
            {
                if (!_disposed && !_process.HasExited)
                    _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }

        public async Task WaitExitAsync()
        {
            if (_disposed)
                return;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
            _process.Dispose();
            _disposed = true;
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

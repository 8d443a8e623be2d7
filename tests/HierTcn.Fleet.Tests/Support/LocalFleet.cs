using Grpc.Net.Client;
using HierTcn.Inference.V1;
using HierTcn.Security;
using HierTcn.Tests.Shared;

namespace HierTcn.Fleet.Tests.Support;

/// <summary>
/// The local fleet: two state-store shard processes and two inference processes, every one on 127.0.0.1, each
/// inference process configured with the same two model versions (v1 weight 90, v2 weight 10, one experiment salt)
/// and the same ordered shard list, as the Helm chart configures its pods (same configuration keys). Everything it
/// starts is killed, and its temporary directory removed, on dispose. <see cref="SecureLocalFleet"/> runs the same
/// fleet with TLS everywhere, mutual TLS between inference and the shards, and token authorization.
/// </summary>
public class LocalFleet : IAsyncLifetime
{
    /// <summary>The client token of the secure fleet (granted read and write).</summary>
    public const string ClientToken = "fleet-client-token-0123456789";

    public const string Salt = "fleet-test-salt";
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly FleetProcess?[] _shards = new FleetProcess?[2];
    private readonly FleetProcess?[] _inference = new FleetProcess?[2];
    private readonly GrpcChannel?[] _channels = new GrpcChannel?[2];
    private readonly int[] _shardPorts = [FleetProcess.FreePort(), FleetProcess.FreePort()];
    private readonly int[] _inferencePorts = [FleetProcess.FreePort(), FleetProcess.FreePort()];
    private string _root = "";
    private TestPki? _pki;

    /// <summary>True for the fleet with TLS and authorization.</summary>
    protected virtual bool Secure => false;

    /// <summary>What a client of the secure fleet uses: the fleet's authority and the client token.</summary>
    public ClientSecurityOptions ClientSecurity(string token = ClientToken)
    {
        var pki = _pki ?? throw new InvalidOperationException("the fleet is not secure");
        string file = Path.Combine(pki.Directory, "token-" + Guid.NewGuid().ToString("N")[..8]);
        TestPki.Write(file, token);
        return new ClientSecurityOptions { CaFile = pki.CaFile, TokenFile = file };
    }

    public TinyModel Model { get; private set; } = null!;

    /// <summary>Weights as configured: v1 90, v2 10.</summary>
    public static IReadOnlyList<(string Version, double Weight)> Arms { get; } = [("v1", 90), ("v2", 10)];

    public async Task InitializeAsync()
    {
        _root = Directory.CreateTempSubdirectory("hiertcn-fleet-").FullName;
        Model = TinyModel.Build(Path.Combine(_root, "model"));
        if (Secure)
        {
            _pki = new TestPki("fleet-ca");
            _pki.Issue("state-store");
            _pki.Issue("inference");
            _pki.Issue("hiertcn-inference");
            TestPki.Write(Path.Combine(_pki.Directory, "tokens"), ClientToken + "\n");
        }
        for (int i = 0; i < _shards.Length; i++)
            _shards[i] = StartShard(i);
        for (int i = 0; i < _shards.Length; i++)
            await _shards[i]!.WaitServingAsync(StartTimeout, Handler);
        for (int i = 0; i < _inference.Length; i++)
            await StartInferenceAsync(i);
    }

    /// <summary>A client of inference process <paramref name="index"/> (0 = A, 1 = B).</summary>
    public Recommender.RecommenderClient Client(int index) =>
        new(_channels[index] ?? throw new InvalidOperationException($"inference process {index} is not running"));

    public FleetProcess Inference(int index) => _inference[index] ?? throw new InvalidOperationException($"inference process {index} is not running");

    /// <summary>SIGKILLs inference process <paramref name="index"/>.</summary>
    public void KillInference(int index)
    {
        _channels[index]?.Dispose();
        _channels[index] = null;
        _inference[index]?.Dispose();
        _inference[index] = null;
    }

    /// <summary>Starts whichever inference process is not running (a test that failed half-way leaves the next one a
    /// whole fleet).</summary>
    public async Task EnsureRunningAsync()
    {
        for (int i = 0; i < _inference.Length; i++)
        {
            if (_inference[i] is { HasExited: true })
                KillInference(i);
            if (_inference[i] is null)
                await StartInferenceAsync(i);
        }
    }

    /// <summary>Starts inference process <paramref name="index"/> (again) on its port and waits until it serves.</summary>
    public async Task StartInferenceAsync(int index)
    {
        if (_inference[index] is not null)
            throw new InvalidOperationException($"inference process {index} is already running");
        int port = _inferencePorts[index];
        string[] arguments =
        [
            $"--Kestrel:Endpoints:Grpc:Url={Scheme}://127.0.0.1:{port}",
            $"--Recommender:BundlesDirectory={Model.BundlesDirectory}",
            $"--Recommender:SnapshotsDirectory={Model.SnapshotsDirectory}",
            $"--Recommender:ExperimentSalt={Salt}",
            .. Arms.SelectMany((arm, i) => new[] { $"--Recommender:Models:{i}:Version={arm.Version}", $"--Recommender:Models:{i}:Weight={arm.Weight}" }),
            "--Recommender:IntraOpThreads=1",
            "--RecommenderServer:StateStoreMode=Remote",
            "--RecommenderServer:MetricsPort=0",
            .. _shardPorts.Select((p, i) => $"--StateStoreClient:Shards:{i}={Scheme}://127.0.0.1:{p}"),
            "--Logging:LogLevel:Default=Warning",
            .. SecurityArguments("inference", "hiertcn-inference"),
        ];
        var process = FleetProcess.Start($"inference-{"AB"[index]}", ServerAssembly("inference", "HierTcn.Inference.Server"), port, arguments, Scheme);
        _inference[index] = process;
        await process.WaitServingAsync(StartTimeout, Handler);
        _channels[index] = GrpcChannel.ForAddress(process.Address, new GrpcChannelOptions { HttpHandler = Handler() });
    }

    public string OutputTails => string.Join('\n', _shards.Concat(_inference).Where(p => p is not null).Select(p => p!.OutputTail));

    public Task DisposeAsync()
    {
        foreach (var channel in _channels)
            channel?.Dispose();
        foreach (var process in _inference.Concat(_shards))
            process?.Dispose();
        _pki?.Dispose();
        try
        {
            if (_root.Length > 0)
                Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleaning.
        }
        return Task.CompletedTask;
    }

    private FleetProcess StartShard(int index)
    {
        int port = _shardPorts[index];
        string data = Path.Combine(_root, $"shard-{index}");
        string[] arguments =
        [
            "--urls", $"{Scheme}://127.0.0.1:{port}",
            $"--StateStore:DataDirectory={data}",
            "--StateStore:IndexBuckets=4096",
            "--StateStore:StorePageSizeBits=16",
            "--StateStore:StoreMemorySizeBits=22",
            "--StateStore:SegmentSizeBits=22",
            "--StateStore:MaxStateBytes=16384",
            "--StateStore:CheckpointInterval=00:00:02",
            "--StateStoreServer:MetricsPort=0",
            $"--StateStoreServer:ShardIndex={index}",
            $"--StateStoreServer:ShardCount={_shardPorts.Length}",
            "--Logging:LogLevel:Default=Warning",
            .. SecurityArguments("state-store", null),
        ];
        return FleetProcess.Start($"shard-{index}", ServerAssembly("state-store", "HierTcn.StateStore.Server"), port, arguments, Scheme);
    }

    private string Scheme => Secure ? "https" : "http";

    /// <summary>A handler for a client of the fleet: null (the default) unless it is secure.</summary>
    private HttpMessageHandler? Handler() => _pki is null ? null : new ClientHandler(ClientSecurity());

    /// <summary>The secure fleet's settings, as the chart gives them: the server's certificate; a shard trusts the
    /// inference certificate for both roles, inference trusts the client token for both, and presents
    /// <paramref name="clientName"/>'s certificate to the shards.</summary>
    private string[] SecurityArguments(string server, string? clientName)
    {
        if (_pki is not { } pki)
            return [];
        string dir = pki.Directory;
        string[] common =
        [
            $"--Tls:CertificateFile={Path.Combine(dir, server, "tls.crt")}", $"--Tls:KeyFile={Path.Combine(dir, server, "tls.key")}",
            "--Auth:Enabled=true",
        ];
        if (clientName is null)
        {
            return [.. common, $"--Tls:ClientCaFile={pki.CaFile}", "--Auth:ReadClients:0=hiertcn-inference", "--Auth:WriteClients:0=hiertcn-inference"];
        }
        string tokens = Path.Combine(dir, "tokens");
        return
        [
            .. common, $"--Auth:ReadTokensFile={tokens}", $"--Auth:WriteTokensFile={tokens}",
            $"--StateStoreClient:Security:CaFile={pki.CaFile}",
            $"--StateStoreClient:Security:CertificateFile={Path.Combine(dir, clientName, "tls.crt")}",
            $"--StateStoreClient:Security:KeyFile={Path.Combine(dir, clientName, "tls.key")}",
        ];
    }

    /// <summary>A server assembly built in the same configuration as this test assembly.</summary>
    public static string ServerAssembly(string folder, string project)
    {
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = baseDir.Name, configuration = baseDir.Parent!.Name;
        string root = baseDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        string path = Path.Combine(root, folder, project, "bin", configuration, framework, project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{project} is not built", path);
    }
}

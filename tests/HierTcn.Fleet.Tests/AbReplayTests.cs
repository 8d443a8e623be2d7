using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Net.Client;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Data.Experiments;
using HierTcn.Data.Preparation;
using HierTcn.Exporter;
using HierTcn.Fleet.Tests.Support;
using HierTcn.Inference.V1;
using HierTcn.Trainer;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Training;
using Xunit.Abstractions;

namespace HierTcn.Fleet.Tests;

/// <summary>
/// The online A/B measurement end to end on the bundled Globo slice: two HierTCN models of clearly different quality
/// (one epoch on 1,500 training users, and one trained on 4 users) served 50/50 from an experiment file, held-back
/// test users replayed event by event (Recommend at each event's time, then the event), the pod's /metrics read by
/// the A/B report. The report must name the trained arm better, and each arm's online Recall@10 must equal the
/// offline evaluation of the same model on the same users' events (the protocol's next-item task) within 0.01.
/// </summary>
public sealed class AbReplayTests(ITestOutputHelper output) : IDisposable
{
    private const int ReplayUsers = 150;
    private readonly string _root = Directory.CreateTempSubdirectory("hiertcn-ab-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleaning.
        }
    }

    [Fact]
    public async Task AbReport_TrainedAgainstBarelyTrainedOnGloboSlice_NamesBetterArmAndMatchesOfflineRecall()
    {
        string dataDir = Path.Combine(_root, "data");
        DatasetPreparer.Prepare(RepoFile("datasets", "globo-slice", "clicks.csv.gz"), dataDir, new PrepareOptions());
        using var data = PreparedDataset.Open(dataDir);
        TorchRuntime.SetThreads(2);
        string bundles = Path.Combine(_root, "bundles");
        var arms = new[] { ("trained", 1_500), ("barely", 4) };
        var offline = new Dictionary<string, ScoredEvent[]>();
        foreach (var (version, trainUsers) in arms)
        {
            string run = Path.Combine(_root, "run-" + version);
            new ModelTrainer(Options(trainUsers)).Run(data, run, finalEvaluation: false);
            RunExport.Export(run, dataDir, bundles, Path.Combine(_root, "snapshots-" + version), version);
            // What `./hiertcn eval --run RUN --data DATA --split test` computes, kept per event.
            offline[version] = Evaluator.Evaluate(data, TrainedRun.LoadRanking(run, data), DataSplit.Test,
                new EvaluationOptions { MaxDegreeOfParallelism = 2, KeepEventResults = true }).Events!;
        }

        string experiment = Path.Combine(_root, "experiment.json");
        File.WriteAllText(experiment, "{\"experimentSalt\": \"ab-replay\", \"models\": ["
            + string.Join(", ", arms.Select(a => $"{{\"version\": \"{a.Item1}\", \"weight\": 50, \"snapshotsDirectory\": \"{Path.Combine(_root, "snapshots-" + a.Item1)}\"}}"))
            + "]}");
        int port = FleetProcess.FreePort(), metricsPort = FleetProcess.FreePort();
        using var server = FleetProcess.Start("inference", LocalFleet.ServerAssembly("inference", "HierTcn.Inference.Server"), port,
        [
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{port}",
            $"--Recommender:BundlesDirectory={bundles}",
            $"--Recommender:SnapshotsDirectory={Path.Combine(_root, "snapshots-trained")}",
            $"--RecommenderServer:ExperimentFile={experiment}",
            $"--RecommenderServer:MetricsPort={metricsPort}",
            "--RecommenderServer:MetricsHostname=127.0.0.1",
            $"--StateStore:DataDirectory={Path.Combine(_root, "store")}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await server.WaitServingAsync(LocalFleet.StartTimeout);

        var users = Enumerable.Range(0, data.UserCount)
            .Where(u => data.UserSplit[u] == (byte)DataSplit.Test && data.UserEvents(u).End - data.UserEvents(u).Start >= 2)
            .Take(ReplayUsers).ToArray();
        var armOf = new ConcurrentDictionary<int, string>();
        using (var channel = GrpcChannel.ForAddress(server.Address))
        {
            var client = new Recommender.RecommenderClient(channel);
            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (u, ct) =>
                armOf[u] = await ReplayAsync(client, data, u, ct));
        }
        using var http = new HttpClient();
        string scrape = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        File.WriteAllText(Path.Combine(_root, "scrape.prom"), scrape);
        var report = AbReport.Build(OnlineScrape.Read([scrape]), control: null, lift: 0.05);
        output.WriteLine($"./hiertcn ab report --metrics http://127.0.0.1:{metricsPort}/metrics  ({users.Length} test users of the Globo slice replayed)");
        output.WriteLine(report.ToText());

        foreach (var arm in report.Arms)
        {
            string version = arm.Counts.Version;
            var mine = armOf.Where(p => p.Value == version).Select(p => p.Key).ToHashSet();
            var events = offline[version].Where(e => mine.Contains(e.User)).ToArray();
            double offlineRecall = events.Count(e => e.Rank <= 10) / (double)events.Length;
            double onlineRecall = arm.Recall10.Value;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{version}: {mine.Count} users, {events.Length} scored events; Recall@10 online {onlineRecall:F4}, offline {offlineRecall:F4}"));
            Assert.Equal(events.Length, arm.Counts.NextEvents);
            Assert.Equal(mine.Count, arm.Counts.Users);
            Assert.True(Math.Abs(onlineRecall - offlineRecall) <= 0.01,
                $"{version}: online Recall@10 {onlineRecall:F4} vs offline {offlineRecall:F4}");
        }
        Assert.Equal(["barely", "trained"], report.Arms.Select(a => a.Counts.Version));
        Assert.Equal("trained", report.Better);
    }

    /// <summary>Replays one user: the first event observed; for every later one, Recommend at its time (k 20), then
    /// the event. Returns the arm the service assigned.</summary>
    private static async Task<string> ReplayAsync(Recommender.RecommenderClient client, PreparedDataset data, int user, CancellationToken ct)
    {
        var (start, end) = data.UserEvents(user);
        long userId = data.UserIds[user];
        string arm = "";
        for (int e = start; e < end; e++)
        {
            if (e > start)
            {
                var reply = await Calls.RetryAsync(() => client.RecommendAsync(new RecommendRequest { UserId = userId, K = 20, TimestampMs = data.EventTimestamps[e] },
                    deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct).ResponseAsync);
                arm = reply.ModelVersion;
            }
            var request = new ObserveEventsRequest();
            request.Events.Add(new Event
            {
                UserId = userId,
                ItemId = data.ItemIds[data.EventItems[e]],
                TimestampMs = data.EventTimestamps[e],
                EventId = $"{userId}:{e}",
            });
            var observed = await Calls.RetryAsync(() => client.ObserveEventsAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct).ResponseAsync);
            if (observed.Applied + observed.Duplicates != 1)
                throw new InvalidOperationException($"user {userId} event {e}: applied {observed.Applied}, late {observed.Late}, unknown {observed.UnknownItems}");
        }
        return arm;
    }

    /// <summary>A small HierTCN, one epoch on the first <paramref name="users"/> training users.</summary>
    private static TrainingOptions Options(int users) => new()
    {
        Model = new ModelOptions
        {
            Kind = ModelKind.HierTcn,
            ItemDim = 32,
            HighLayers = 1,
            HighHidden = 32,
            TcnBlocks = 2,
            TcnChannels = 32,
            TcnKernel = 3,
        },
        BatchSize = 16,
        LearningRate = 3e-3,
        MaxEpochs = 1,
        MaxTrainUsers = users,
        SkipValidation = true,
        Threads = 2,
    };

    private static string RepoFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HierTcn.sln")))
            dir = dir.Parent;
        return Path.Combine([dir?.FullName ?? throw new DirectoryNotFoundException("HierTcn.sln not found above the test assembly"), .. parts]);
    }
}

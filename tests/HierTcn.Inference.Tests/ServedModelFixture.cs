using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Exporter;
using HierTcn.Formats;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Trainer;
using HierTcn.Trainer.Evaluation;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Training;
using TorchSharp;

namespace HierTcn.Inference.Tests;

/// <summary>
/// Trains a tiny HierTCN on a synthetic dataset once for the whole test collection, exports it as bundle "v1" with
/// item snapshot "items-1" (the trained item embeddings), and a second, untrained model of the same shape as "v2",
/// so A/B and hot swap have two genuinely different versions. Timestamps are in 2024 (the service refuses events
/// before 2000). Test user 0 has a 20-item session, longer than the TCN's receptive field (13 rows).
/// </summary>
public sealed class ServedModelFixture : IDisposable
{
    public const int ItemCount = 30;
    public const long FirstTimestamp = 1_704_067_200_000; // 2024-01-01

    private readonly NeuralRankingModel _ranking;

    public ServedModelFixture() : this(sessionMean: false) { }

    /// <param name="sessionMean">Train HierTCN with <c>--tcn-session-mean</c> (<see cref="SessionMeanModelFixture"/>).</param>
    /// <param name="timeGap">Train it with <c>--high-time-gap</c> too (<see cref="TimeGapModelFixture"/>).</param>
    /// <param name="recentPop">Train it with <c>--recent-pop-prior</c> (<see cref="RecentPopModelFixture"/>).</param>
    internal ServedModelFixture(bool sessionMean, bool timeGap = false, bool recentPop = false)
    {
        RecentPop = recentPop;
        TorchRuntime.SetThreads(2);
        Root = Directory.CreateTempSubdirectory("hiertcn-inference-").FullName;
        Data = WriteDataset(Path.Combine(Root, "data"));
        var options = new TrainingOptions
        {
            Model = new ModelOptions
            {
                Kind = ModelKind.HierTcn,
                ItemDim = 16,
                HighLayers = 2,
                HighHidden = 12,
                TcnBlocks = 2,
                TcnChannels = 16,
                TcnKernel = 3,
                TcnSessionMean = sessionMean,
                HighTimeGap = timeGap,
                RecentPopPrior = recentPop,
            },
            BatchSize = 8,
            LearningRate = 1e-2,
            MaxEpochs = 2,
            Patience = 5,
            SkipValidation = true,
            Threads = 2,
        };
        string run = Path.Combine(Root, "run");
        new ModelTrainer(options).Run(Data, run, finalEvaluation: false);
        var (model, config) = TrainedRun.Load(run, Data);
        _ranking = new NeuralRankingModel(model, ModelTrainer.HyperParameters(config));
        var weights = TorchWeights.From(model);
        Dim = options.Model.ItemDim;
        ItemEmbeddings = weights["item_embedding.weight"].Data;
        SnapshotsDirectory = Path.Combine(Root, "snapshots");
        BundlesDirectory = Path.Combine(Root, "bundles");
        string snapshot = ItemSnapshotDirectory.Publish(SnapshotsDirectory, "items-1", Data.ItemIds, ItemEmbeddings, Dim);
        long? window = recentPop ? RecentPopularityModel.DefaultWindowMs : null;
        BundleExporter.Export(BundlesDirectory, ModelTypes.HierTcn, weights, "v1", BundleExporter.Reference(snapshot), sessionGapMs: SessionRule.DefaultGapMs,
            recentPopWindowMs: window);
        PriorWeight = recentPop ? weights[StepGraphs.RecentPopWeight].Data[0] : 0f;

        TorchRuntime.Seed(99);
        using var other = ModelFactory.Create(options.Model, ModelTrainer.ItemsOf(Data, options));
        var otherWeights = TorchWeights.From(other);
        BundleExporter.Export(BundlesDirectory, ModelTypes.HierTcn, otherWeights, "v2", BundleExporter.Reference(snapshot),
            sessionGapMs: SessionRule.DefaultGapMs, recentPopWindowMs: window);
        if (recentPop)
        {
            // "plain": v2 without the prior, to swap from.
            var plain = new ModelWeights(otherWeights.Names.Where(n => n != StepGraphs.RecentPopWeight).ToDictionary(n => n, n => otherWeights[n]));
            BundleExporter.Export(BundlesDirectory, ModelTypes.HierTcn, plain, "plain", BundleExporter.Reference(snapshot), sessionGapMs: SessionRule.DefaultGapMs);
        }
    }

    public string Root { get; }

    public PreparedDataset Data { get; }

    public int Dim { get; }

    public float[] ItemEmbeddings { get; }

    public string BundlesDirectory { get; }

    public string SnapshotsDirectory { get; }

    /// <summary>The trainer's scores (dense item order) for predicting each of <paramref name="events"/> of user
    /// <paramref name="user"/> (global event indices, none the user's first).</summary>
    public float[][] TrainerScores(int user, IReadOnlyList<int> events)
    {
        var queries = events.Select(e => new ScoreQuery(user, e)).ToArray();
        var scores = new float[queries.Length * Data.ItemCount];
        _ranking.Score(Data, queries, scores);
        return [.. Enumerable.Range(0, queries.Length).Select(q => scores.AsSpan(q * Data.ItemCount, Data.ItemCount).ToArray())];
    }

    /// <summary>Trained with the recent-popularity prior: the served scores read the clicks the server observed.</summary>
    public bool RecentPop { get; }

    /// <summary>The prior's learned weight w (0 without it).</summary>
    public float PriorWeight { get; }

    /// <summary>What the server must answer for the trainer's <paramref name="expected"/> scores of predicting event
    /// <paramref name="e"/> of <paramref name="user"/> when it has observed every training user's events and the user's
    /// own up to e - 1: the trainer counts only training users' clicks in the window, the server every click it
    /// observed, so a prior model's term becomes w log(1 + c_train + c_own) (both counted here from the dataset, apart
    /// from the server's counter). Without the prior the trainer's scores as they are. Also returns the model's scores
    /// without the prior term.</summary>
    public (float[] Served, float[] Plain) ServedExpectation(int user, int e, float[] expected)
    {
        if (!RecentPop)
        {
            return (expected, expected);
        }
        long t = Data.EventTimestamps[e], from = t - RecentPopularityModel.DefaultWindowMs;
        var train = new int[Data.ItemCount];
        var own = new int[Data.ItemCount];
        for (int u = 0; u < Data.UserCount; u++)
        {
            var (start, end) = Data.UserEvents(u);
            bool training = Data.UserSplit[u] == (byte)DataSplit.Train;
            for (int i = start; i < end; i++)
            {
                long ti = Data.EventTimestamps[i];
                if (ti >= from && ti < t && (training || (u == user && i < e)))
                {
                    (training ? train : own)[Data.EventItems[i]]++;
                }
            }
        }
        var served = (float[])expected.Clone();
        var plain = (float[])expected.Clone();
        for (int i = 0; i < served.Length; i++)
        {
            served[i] += PriorWeight * (MathF.Log(1 + train[i] + own[i]) - MathF.Log(1 + train[i]));
            plain[i] -= PriorWeight * MathF.Log(1 + train[i]);
        }
        return (served, plain);
    }

    /// <summary>Users of the test split, in dataset order.</summary>
    public IReadOnlyList<int> TestUsers => [.. Enumerable.Range(0, Data.UserCount).Where(u => Data.UserSplit[u] == (byte)DataSplit.Test)];

    /// <summary>The synthetic dataset; with <paramref name="featureDim"/> > 0 each item also gets a random feature vector
    /// (the feature setting).</summary>
    internal static PreparedDataset WriteDataset(string dir, int featureDim = 0)
    {
        var rng = new Random(7);
        var users = new List<int[][]>();
        for (int u = 0; u < 80; u++)
        {
            int stride = 1 + u % 3;
            int item = rng.Next(ItemCount);
            var sessions = new int[2 + rng.Next(3)][];
            for (int s = 0; s < sessions.Length; s++)
            {
                // The first test user (u = 9) gets a 20-item session: longer than the receptive field.
                sessions[s] = new int[u == 9 && s == sessions.Length - 1 ? 20 : 2 + rng.Next(6)];
                for (int p = 0; p < sessions[s].Length; p++)
                {
                    sessions[s][p] = item;
                    item = (item + stride) % ItemCount;
                }
            }
            users.Add(sessions);
        }
        var userSessions = new List<int> { 0 };
        var sessionEvents = new List<int> { 0 };
        var eventItems = new List<int>();
        var timestamps = new List<long>();
        var eventSplit = new List<byte>();
        var userSplit = new List<byte>();
        for (int u = 0; u < users.Count; u++)
        {
            byte split = (byte)((u % 10) switch { 8 => DataSplit.Validation, 9 => DataSplit.Test, _ => DataSplit.Train });
            userSplit.Add(split);
            long t = FirstTimestamp + 1_000_000L * u;
            foreach (int[] session in users[u])
            {
                t += 3_600_000;                                   // an hour between sessions: the 30-minute rule splits them
                foreach (int item in session)
                {
                    eventItems.Add(item);
                    timestamps.Add(t += 60_000);
                    eventSplit.Add(split);
                }
                sessionEvents.Add(eventItems.Count);
            }
            userSessions.Add(sessionEvents.Count - 1);
        }
        DatasetWriter.Write(dir, new DatasetHeader
        {
            Name = "inference-test",
            InputSha256 = new string('0', 64),
            Counts = new DatasetCounts { Users = users.Count, Items = ItemCount, Events = eventItems.Count, Sessions = sessionEvents.Count - 1 },
            CreatedUtc = DateTime.UnixEpoch,
        }, new DatasetArrays
        {
            ItemIds = [.. Enumerable.Range(0, ItemCount).Select(i => 1000L + i * 7)],
            UserIds = [.. Enumerable.Range(0, users.Count).Select(u => 500_000L + u)],
            UserSplit = [.. userSplit],
            UserSessions = [.. userSessions],
            SessionEvents = [.. sessionEvents],
            EventItems = [.. eventItems],
            EventTimestamps = [.. timestamps],
            EventSplit = [.. eventSplit],
            ItemFeatures = featureDim > 0 ? [.. Enumerable.Range(0, ItemCount * featureDim).Select(_ => (float)(rng.NextDouble() * 2 - 1))] : null,
            ItemFeatureDim = featureDim,
        });
        return PreparedDataset.Open(dir);
    }

    public void Dispose()
    {
        Data.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A mapping still open on some platform; the temp directory is cleaned by the OS.
        }
    }
}

/// <summary><see cref="ServedModelFixture"/> with HierTCN trained with <c>--tcn-session-mean</c> (each row also reads
/// the session's running item mean; the receptive field is the whole session), exported under the same versions.</summary>
public sealed class SessionMeanModelFixture : IDisposable
{
    public ServedModelFixture Model { get; } = new(sessionMean: true);

    public void Dispose() => Model.Dispose();
}

/// <summary><see cref="ServedModelFixture"/> with HierTCN trained with <c>--tcn-session-mean</c> and
/// <c>--high-time-gap</c> (its high level reads the minutes between sessions; a session is folded in when the next one
/// starts), exported under the same versions.</summary>
public sealed class TimeGapModelFixture : IDisposable
{
    public ServedModelFixture Model { get; } = new(sessionMean: true, timeGap: true);

    public void Dispose() => Model.Dispose();
}

/// <summary><see cref="ServedModelFixture"/> with HierTCN trained with <c>--recent-pop-prior</c> (its score adds w log(1 +
/// clicks on the item in the 15 minutes before)), exported under the same versions.</summary>
public sealed class RecentPopModelFixture : IDisposable
{
    public ServedModelFixture Model { get; } = new(sessionMean: true, recentPop: true);

    public void Dispose() => Model.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ServedModelCollection : ICollectionFixture<ServedModelFixture>
{
    public const string Name = "served model";
}

using HierTcn.Data.Dataset;
using HierTcn.Exporter;
using HierTcn.Formats;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Trainer;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Training;

namespace HierTcn.Fleet.Tests.Support;

/// <summary>
/// What the fleet serves: a tiny HierTCN trained for two epochs on a synthetic dataset (users walk the catalogue
/// with a fixed stride), exported by the exporter as bundle "v1", and a second model of the same shape with other
/// weights as "v2", both scoring against item snapshot "items-1" (the trained item embeddings).
/// </summary>
public sealed class TinyModel
{
    public const int ItemCount = 40;

    private TinyModel(string bundles, string snapshots, long[] itemIds)
    {
        BundlesDirectory = bundles;
        SnapshotsDirectory = snapshots;
        ItemIds = itemIds;
    }

    public string BundlesDirectory { get; }

    public string SnapshotsDirectory { get; }

    /// <summary>External item ids of the catalogue.</summary>
    public IReadOnlyList<long> ItemIds { get; }

    public static TinyModel Build(string root)
    {
        TorchRuntime.SetThreads(2);
        using var data = WriteDataset(Path.Combine(root, "data"));
        var options = new TrainingOptions
        {
            Model = new ModelOptions
            {
                Kind = ModelKind.HierTcn,
                ItemDim = 16,
                HighLayers = 1,
                HighHidden = 12,
                TcnBlocks = 2,
                TcnChannels = 16,
                TcnKernel = 3,
            },
            BatchSize = 8,
            LearningRate = 1e-2,
            MaxEpochs = 2,
            Patience = 5,
            SkipValidation = true,
            Threads = 2,
        };
        string run = Path.Combine(root, "run");
        new ModelTrainer(options).Run(data, run, finalEvaluation: false);
        var (model, _) = TrainedRun.Load(run, data);
        using (model)
        {
            var weights = TorchWeights.From(model);
            string snapshots = Path.Combine(root, "snapshots");
            string bundles = Path.Combine(root, "bundles");
            string snapshot = ItemSnapshotDirectory.Publish(snapshots, "items-1", data.ItemIds, weights["item_embedding.weight"].Data, options.Model.ItemDim);
            var reference = BundleExporter.Reference(snapshot);
            BundleExporter.Export(bundles, ModelTypes.HierTcn, weights, "v1", reference, sessionGapMs: SessionRule.DefaultGapMs);
            TorchRuntime.Seed(4242);
            using var other = ModelFactory.Create(options.Model, ModelTrainer.ItemsOf(data, options));
            BundleExporter.Export(bundles, ModelTypes.HierTcn, TorchWeights.From(other), "v2", reference, sessionGapMs: SessionRule.DefaultGapMs);
            return new TinyModel(bundles, snapshots, data.ItemIds.ToArray());
        }
    }

    private static PreparedDataset WriteDataset(string dir)
    {
        var random = new Random(17);
        var userSessions = new List<int> { 0 };
        var sessionEvents = new List<int> { 0 };
        var items = new List<int>();
        var timestamps = new List<long>();
        var eventSplit = new List<byte>();
        const int users = 60;
        for (int u = 0; u < users; u++)
        {
            int stride = 1 + u % 4;
            int item = random.Next(ItemCount);
            long t = 1_704_067_200_000 + 5_000_000L * u;
            int sessions = 2 + random.Next(3);
            for (int s = 0; s < sessions; s++)
            {
                t += 7_200_000;                                        // two hours apart: separate sessions
                int length = 2 + random.Next(6);
                for (int p = 0; p < length; p++)
                {
                    items.Add(item);
                    timestamps.Add(t += 30_000);
                    eventSplit.Add((byte)DataSplit.Train);
                    item = (item + stride) % ItemCount;
                }
                sessionEvents.Add(items.Count);
            }
            userSessions.Add(sessionEvents.Count - 1);
        }
        DatasetWriter.Write(dir, new DatasetHeader
        {
            Name = "fleet-test",
            InputSha256 = new string('0', 64),
            Counts = new DatasetCounts { Users = users, Items = ItemCount, Events = items.Count, Sessions = sessionEvents.Count - 1 },
            CreatedUtc = DateTime.UnixEpoch,
        }, new DatasetArrays
        {
            ItemIds = [.. Enumerable.Range(0, ItemCount).Select(i => 20_000L + 3L * i)],
            UserIds = [.. Enumerable.Range(0, users).Select(u => 900_000L + u)],
            UserSplit = [.. Enumerable.Repeat((byte)DataSplit.Train, users)],
            UserSessions = [.. userSessions],
            SessionEvents = [.. sessionEvents],
            EventItems = [.. items],
            EventTimestamps = [.. timestamps],
            EventSplit = [.. eventSplit],
        });
        return PreparedDataset.Open(dir);
    }
}

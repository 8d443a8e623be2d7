using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Data.Ingest;
using HierTcn.Data.Preparation;
using HierTcn.Data.Synthetic;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Training;
using Xunit.Abstractions;

namespace HierTcn.Trainer.Tests;

/// <summary>What bench/trainer/new-items.sh measures, on a small case: synthetic data with items published over time,
/// the warm split, HierTCN trained on item ids and on item features; the test report splits the events by whether the
/// true item had a training event. The feature model ranks the items it never saw; the ID model cannot.</summary>
public sealed class NewItemsTests(ITestOutputHelper output)
{
    static NewItemsTests() => TorchRuntime.SetThreads(2);

    [Fact]
    public void Run_WarmSplitWithNewItems_FeatureModelRanksNewItemsAndIdModelDoesNot()
    {
        using var dir = new TempDir();
        var generated = SyntheticGenerator.Generate(Path.Combine(dir.Path, "gen"),
            new SyntheticOptions { Users = 400, Items = 150, Topics = 5, Dim = 16, NewItems = 0.3, Seed = 3 });
        string dataDir = Path.Combine(dir.Path, "data");
        DatasetPreparer.Prepare(generated.EventsPath, dataDir, new PrepareOptions
        {
            Split = SplitKind.Warm,
            ItemsPath = generated.ItemsPath,
            Ingest = new EventIngestOptions { ImpressionsColumn = "impressions" },
        });
        using var data = PreparedDataset.Open(dataDir);

        EvaluationReport Train(string items)
        {
            var options = new TrainingOptions
            {
                Model = new ModelOptions { Kind = ModelKind.HierTcn, ItemDim = 16, HighLayers = 1, HighHidden = 16, TcnBlocks = 2, TcnChannels = 24, TcnKernel = 3 },
                Items = items,
                BatchSize = 16,
                LearningRate = 1e-2,
                MaxEpochs = 1,
                SkipValidation = true,
            };
            var report = new ModelTrainer(options).Run(data, Path.Combine(dir.Path, items)).Test!;
            Assert.NotNull(report.NewItems);
            Assert.NotNull(report.KnownItems);
            output.WriteLine($"{items}: known items Recall@10 {report.KnownItems.Event.Recall10:F3} MRR {report.KnownItems.Event.Mrr:F3} "
                + $"(n {report.KnownItems.Event.N}); new items Recall@10 {report.NewItems.Event.Recall10:F3} MRR {report.NewItems.Event.Mrr:F3} (n {report.NewItems.Event.N})");
            Assert.Equal(report.Metrics.Event.N, report.KnownItems.Event.N + report.NewItems.Event.N);
            return report;
        }

        var ids = Train("ids");
        var features = Train("features");
        Assert.True(features.NewItems!.Event.N > 50, $"{features.NewItems.Event.N} test events on new items");
        // The ID model has only the vectors full softmax pushed down for items never clicked: it ranks them near the
        // bottom. The feature model places them among the items like them (one epoch of a tiny model: the margin is
        // in the mean percentile rank and Recall@20, not yet in the top 10).
        var (idNew, featureNew) = (ids.NewItems!.Event, features.NewItems.Event);
        Assert.True(idNew.Mrp > 0.8, $"the ID model ranks items it never saw at mean percentile {idNew.Mrp:F3}");
        Assert.True(featureNew.Mrp < 0.5, $"the feature model ranks new items at mean percentile {featureNew.Mrp:F3}");
        Assert.True(featureNew.Recall20 > idNew.Recall20 + 0.1 && featureNew.Mrr > 3 * idNew.Mrr,
            $"new items: feature model Recall@20 {featureNew.Recall20:F3} MRR {featureNew.Mrr:F4}, ID model {idNew.Recall20:F3} / {idNew.Mrr:F4}");
    }
}

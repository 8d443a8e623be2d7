using HierTcn.Data.Dataset;
using HierTcn.Exporter;
using HierTcn.Formats.Bundles;
using HierTcn.Trainer;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Training;

namespace HierTcn.Inference.Tests;

/// <summary>
/// A tiny HierTCN trained one epoch in the feature setting (<c>--items features</c>, 12-dimensional item features,
/// a trained projection to d = 16) on the synthetic dataset, exported by <see cref="RunExport"/> (what
/// <c>hiertcn export</c> runs) as bundle "f1" with its own snapshot "f1".
/// </summary>
public sealed class FeatureModelFixture : IDisposable
{
    public const int FeatureDim = 12;
    public const int ItemDim = 16;

    public FeatureModelFixture()
    {
        TorchRuntime.SetThreads(2);
        Root = Directory.CreateTempSubdirectory("hiertcn-features-").FullName;
        string dataDir = Path.Combine(Root, "data");
        Data = ServedModelFixture.WriteDataset(dataDir, FeatureDim);
        var options = new TrainingOptions
        {
            Model = new ModelOptions
            {
                Kind = ModelKind.HierTcn,
                ItemDim = ItemDim,
                HighLayers = 2,
                HighHidden = 12,
                TcnBlocks = 2,
                TcnChannels = 16,
                TcnKernel = 3,
            },
            Items = "features",
            BatchSize = 8,
            LearningRate = 1e-2,
            MaxEpochs = 1,
            SkipValidation = true,
            Threads = 2,
        };
        string run = Path.Combine(Root, "run");
        new ModelTrainer(options).Run(Data, run, finalEvaluation: false);
        BundlesDirectory = Path.Combine(Root, "bundles");
        SnapshotsDirectory = Path.Combine(Root, "snapshots");
        Bundle = RunExport.Export(run, dataDir, BundlesDirectory, SnapshotsDirectory, "f1");
    }

    public string Root { get; }

    public PreparedDataset Data { get; }

    public string BundlesDirectory { get; }

    /// <summary>Where the export published the bundle's own snapshot "f1".</summary>
    public string SnapshotsDirectory { get; }

    public ModelBundle Bundle { get; }

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

using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Evaluation;
using HierTcn.Trainer.Losses;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Plots;
using HierTcn.Trainer.Training;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Tests;

public sealed class TrainingTests
{
    static TrainingTests() => TorchRuntime.SetThreads(2);

    private static readonly ModelOptions s_small = new()
    {
        ItemDim = 16,
        HighLayers = 1,
        HighHidden = 16,
        LowLayers = 1,
        LowHidden = 16,
        TcnBlocks = 2,
        TcnChannels = 24,
        TcnKernel = 3,
    };

    private static PreparedDataset Walks(TempDir dir) =>
        SyntheticData.Write(dir.Path, SyntheticData.Walks(160, 40, seed: 8), 40,
            u => (u % 10) switch { 8 => DataSplit.Validation, 9 => DataSplit.Test, _ => DataSplit.Train });

    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.Gru)]
    public void Run_WalkData_BeatsPopularityAndWritesRun(ModelKind kind)
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        string runPath = Path.Combine(dir.Path, "run");
        var options = new TrainingOptions { Model = s_small with { Kind = kind }, BatchSize = 8, LearningRate = 1e-2, MaxEpochs = 4, Patience = 2 };
        var result = new ModelTrainer(options).Run(data, runPath);

        var pop = Evaluator.Evaluate(data, BaselineModels.Fit("pop", data), DataSplit.Test);
        double popRecall = pop.Metrics.Event.Recall10;
        double recall = result.Test!.Metrics.Event.Recall10;
        Assert.True(recall > popRecall + 0.2, $"{kind}: test Recall@10 {recall:F3} does not beat popularity {popRecall:F3}");
        Assert.True(result.Test.Metrics.Event.Mrr > pop.Metrics.Event.Mrr);
        Assert.Equal(pop.Metrics.Event.N, result.Test.Metrics.Event.N);
        Assert.True(result.Epochs[0].TrainLoss > result.Epochs[^1].TrainLoss, "training loss did not fall");

        var run = new RunDirectory(runPath);
        foreach (string file in new[] { "config.json", "model.bin", "epochs.json", "report.validation.json", "report.test.json",
            "events.test.csv", "training.png", FigurePlots.PastInteractionsFile, FigurePlots.SessionPositionFile, FigurePlots.TimeGapFile })
        {
            Assert.True(File.Exists(run.File(file)), $"{file} missing from the run directory");
        }
        Assert.Equal(result.Epochs.Count, run.ReadEpochs().Count);
        var report = EvaluationReport.ReadJson(run.ReportPath("test"));
        Assert.Equal(ModelKinds.Name(kind), report.Model);
        Assert.Equal("v1", report.Protocol);

        // The reloaded run scores exactly what the trainer reported.
        var reloaded = Evaluator.Evaluate(data, TrainedRun.LoadRanking(runPath, data), DataSplit.Test);
        Assert.Equal(result.Test.Metrics.Event.Mrr, reloaded.Metrics.Event.Mrr, 6);
    }

    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.Gru)]
    public void Run_UsersFirstEvents_CarryNoLoss(ModelKind kind)
    {
        using var dir = new TempDir();
        // 20 users of one event and 20 of two: only the 20 second events are trained on (not 60).
        var users = Enumerable.Range(0, 40).Select(u => u < 20 ? new[] { new[] { u % 7 } } : [[u % 7, (u + 1) % 7]]).ToList();
        using var data = SyntheticData.Write(dir.Path, users, 7);
        var options = new TrainingOptions { Model = s_small with { Kind = kind }, BatchSize = 8, MaxEpochs = 1, SkipValidation = true };
        var result = new ModelTrainer(options).Run(data, Path.Combine(dir.Path, "run"), finalEvaluation: false);
        Assert.Equal(20, result.Epochs[0].TrainEvents);
        Assert.True(double.IsFinite(result.Epochs[0].TrainLoss));
    }

    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.Gru)]
    public void Run_RowsSharedBetweenWorkers_TrainsLikeOneWorker(ModelKind kind)
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var one = new TrainingOptions { Model = s_small with { Kind = kind }, BatchSize = 8, MaxEpochs = 2, Patience = 5, SkipValidation = true, Workers = 1 };
        var runs = new[] { 1, 2, 3 }.Select(w => new ModelTrainer(one with { Workers = w })
            .Run(data, Path.Combine(dir.Path, "w" + w), finalEvaluation: false)).ToList();
        using var reference = TrainedRun.Load(Path.Combine(dir.Path, "w1"), data).Model;
        var expected = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (int w in new[] { 2, 3 })
        {
            var run = runs[w - 1];
            Assert.Equal(runs[0].Epochs.Select(e => (e.TrainEvents, e.OptimizerSteps, e.Batches)), run.Epochs.Select(e => (e.TrainEvents, e.OptimizerSteps, e.Batches)));
            for (int e = 0; e < run.Epochs.Count; e++)
            {
                Assert.Equal(runs[0].Epochs[e].TrainLoss, run.Epochs[e].TrainLoss, 1e-4);
            }
            // The same gradient each step (a share's loss is normalised by the whole step's events): the weights after
            // two epochs differ by float rounding only, not by the learning rate's size.
            using var model = TrainedRun.Load(Path.Combine(dir.Path, "w" + w), data).Model;
            foreach (var (name, parameter) in model.named_parameters())
            {
                double diff = (parameter - expected[name]).abs().max().item<float>();
                Assert.True(diff < 2e-5, $"{w} workers, {name}: max difference {diff}");
            }
        }
        Assert.NotEqual(runs[0].Epochs[0].TrainLoss, runs[0].Epochs[1].TrainLoss);
    }

    [Fact]
    public void Run_TwoWorkers_IsRepeatable()
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var options = new TrainingOptions { Model = s_small with { Kind = ModelKind.HierTcn }, BatchSize = 8, MaxEpochs = 1, SkipValidation = true, Workers = 2 };
        var a = new ModelTrainer(options).Run(data, Path.Combine(dir.Path, "a"), finalEvaluation: false);
        var b = new ModelTrainer(options).Run(data, Path.Combine(dir.Path, "b"), finalEvaluation: false);
        Assert.Equal(a.Epochs[0].TrainLoss, b.Epochs[0].TrainLoss);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Path, "a", "model.bin")), File.ReadAllBytes(Path.Combine(dir.Path, "b", "model.bin")));
    }

    [Fact]
    public void Workers_WhereRowsCannotBeShared_AreRefused()
    {
        var options = new TrainingOptions { Model = s_small with { Kind = ModelKind.HierTcn }, Workers = 2 };
        options.Validate();
        var e = Assert.Throws<Data.UserInputException>(() => (options with { Model = options.Model with { Dropout = 0.2 } }).Validate());
        Assert.Contains("--dropout", e.Message);
        e = Assert.Throws<Data.UserInputException>(() => (options with { Model = options.Model with { InputDropout = 0.2 } }).Validate());
        Assert.Contains("--input-dropout", e.Message);
        e = Assert.Throws<Data.UserInputException>(() => (options with { Model = s_small with { Kind = ModelKind.Tcn, BatchNorm = true } }).Validate());
        Assert.Contains("--batch-norm", e.Message);
        e = Assert.Throws<Data.UserInputException>(() => (options with { Batching = "users" }).Validate());
        Assert.Contains("--batching users", e.Message);
        Assert.Throws<Data.UserInputException>(() => new TrainingOptions { Workers = 64, BatchSize = 32 }.Validate());
        Assert.Throws<Data.UserInputException>(() => new TrainingOptions { Workers = 0 }.Validate());
    }

    /// <summary><c>--input-dropout</c> drops rows of HierTCN's and HierGRU's low-level input; the other models have no such
    /// rows, and a rate outside [0, 1) is no rate: both are refused with the option named.</summary>
    [Theory]
    [InlineData(ModelKind.Gru, 0.2)]
    [InlineData(ModelKind.Tcn, 0.2)]
    [InlineData(ModelKind.Hrnn, 0.2)]
    [InlineData(ModelKind.HierTcn, 1.0)]
    [InlineData(ModelKind.HierGru, -0.1)]
    public void InputDropout_OnAModelWithoutLowLevelRowsOrOutOfRange_IsRefused(ModelKind kind, double rate)
    {
        new TrainingOptions { Model = s_small with { Kind = kind } }.Validate();
        var e = Assert.Throws<Data.UserInputException>(() => new TrainingOptions { Model = s_small with { Kind = kind, InputDropout = rate } }.Validate());
        Assert.Contains("input_dropout", e.Message.Replace('-', '_'));
    }

    /// <summary><see cref="HierarchicalModel.GapMinutes"/>: minutes since the user's previous event; nothing at a user's
    /// first session or a row without one.</summary>
    [Fact]
    public void GapMinutes_IsTheTimeSinceThePreviousEvent()
    {
        long[] ts = [1_000, 61_000, 7_261_000];
        Assert.Equal(1f, HierarchicalModel.GapMinutes(ts, 1, newUser: false));
        Assert.Equal(120f, HierarchicalModel.GapMinutes(ts, 2, newUser: false));
        Assert.Equal(0f, HierarchicalModel.GapMinutes(ts, 2, newUser: true));
        Assert.Equal(0f, HierarchicalModel.GapMinutes(ts, 0, newUser: false));
        Assert.Equal(0f, HierarchicalModel.GapMinutes(ts, -1, newUser: false));
    }

    /// <summary>With <c>--high-time-gap</c> the trainer and the evaluation feed each session's real gap: the gap's input
    /// column of the high-level GRU moves in training (a zero gap would give it no gradient), and changing that column
    /// changes the evaluation's scores (with zero gaps it would not). The option is refused with whole-user batches and
    /// on the models without a session-mean high level.</summary>
    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    public void Run_HighTimeGap_FeedsTheGapInTrainingAndEvaluation(ModelKind kind)
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var options = new TrainingOptions { Model = s_small with { Kind = kind, HighTimeGap = true }, BatchSize = 8, MaxEpochs = 1, SkipValidation = true };
        string runPath = Path.Combine(dir.Path, "run");
        new ModelTrainer(options).Run(data, runPath, finalEvaluation: false);
        TorchRuntime.Seed(options.Seed);
        using var initial = ModelFactory.Create(options.Model, ItemSource.Ids(data.ItemCount));
        var (trained, config) = TrainedRun.Load(runPath, data);
        using var trainedModel = trained;
        static Tensor GapColumn(RecommenderModel m) =>
            m.named_parameters().First(p => p.name.StartsWith("high_gru.", StringComparison.Ordinal) && p.name.EndsWith("weight_ih", StringComparison.Ordinal))
                .parameter.select(1, -1);
        Assert.False(GapColumn(initial).allclose(GapColumn(trained), rtol: 0, atol: 1e-6), "training never fed a gap");

        var before = Evaluator.Evaluate(data, new NeuralRankingModel(trained, ModelTrainer.HyperParameters(config)), DataSplit.Test);
        using (no_grad())
        {
            GapColumn(trained).mul_(-20);
        }
        var after = Evaluator.Evaluate(data, new NeuralRankingModel(trained, ModelTrainer.HyperParameters(config)), DataSplit.Test);
        Assert.NotEqual(before.Metrics.Event.Mrr, after.Metrics.Event.Mrr);

        Assert.Throws<Data.UserInputException>(() => (options with { Batching = "users" }).Validate());
        Assert.Throws<Data.UserInputException>(() => new TrainingOptions { Model = s_small with { Kind = ModelKind.Hrnn, HighTimeGap = true } }.Validate());
    }

    /// <summary><c>--recent-pop-prior</c>: training learns the prior's weight (it starts at 1 and moves, so the trainer
    /// fed counts), and the evaluation's scores are the model's plus exactly w log(1 + the training users' clicks of the
    /// 15 minutes before each event), recentpop's counts. Refused with sampled or pairwise losses, whole-user batches,
    /// and models other than hiertcn and hiergru.</summary>
    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    public void Run_RecentPopPrior_LearnsItsWeightAndTheEvaluationAddsIt(ModelKind kind)
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var options = new TrainingOptions { Model = s_small with { Kind = kind, RecentPopPrior = true }, BatchSize = 8, MaxEpochs = 1, SkipValidation = true };
        string runPath = Path.Combine(dir.Path, "run");
        new ModelTrainer(options).Run(data, runPath, finalEvaluation: false);
        var (trained, config) = TrainedRun.Load(runPath, data);
        using var model = trained;
        var weight = model.named_parameters().Single(p => p.name == "recent_pop_weight").parameter;
        float w = weight.item<float>();
        Assert.NotEqual(1f, w);

        var queries = Enumerable.Range(0, data.UserCount).Where(u => data.UserSplit[u] == (byte)DataSplit.Test)
            .SelectMany(u => Enumerable.Range(data.UserEvents(u).Start + 1, data.UserEvents(u).End - data.UserEvents(u).Start - 1).Select(e => new ScoreQuery(u, e)))
            .ToArray();
        int n = data.ItemCount;
        var with = new float[queries.Length * n];
        new NeuralRankingModel(model, ModelTrainer.HyperParameters(config)).Score(data, queries, with);
        using (no_grad())
        {
            weight.zero_();
        }
        var without = new float[queries.Length * n];
        new NeuralRankingModel(model, ModelTrainer.HyperParameters(config)).Score(data, queries, without);
        var recent = RecentPopularityModel.Fit(data);
        var counts = new float[n];
        int nonZero = 0;
        double worst = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            Array.Clear(counts);
            recent.AddWindowCounts(data.EventTimestamps[queries[q].Event], counts);
            for (int i = 0; i < n; i++)
            {
                nonZero += counts[i] > 0 ? 1 : 0;
                worst = Math.Max(worst, Math.Abs(with[q * n + i] - without[q * n + i] - w * MathF.Log(1 + counts[i])));
            }
        }
        Assert.True(nonZero > queries.Length, $"only {nonZero} non-zero counts over {queries.Length} queries: the test shows nothing");
        Assert.True(worst < 1e-4, $"scores minus the prior differ by {worst}");

        Assert.Throws<Data.UserInputException>(() => (options with { Loss = new LossOptions { Kind = LossKind.Bpr } }).Validate());
        Assert.Throws<Data.UserInputException>(() => (options with { Loss = new LossOptions { SampledSoftmax = true } }).Validate());
        Assert.Throws<Data.UserInputException>(() => (options with { Batching = "users" }).Validate());
        Assert.Throws<Data.UserInputException>(() => new TrainingOptions { Model = s_small with { Kind = ModelKind.Gru, RecentPopPrior = true } }.Validate());
    }

    /// <summary><c>--high-dropout</c> belongs to the models with a high level, and a rate outside [0, 1) is no rate: both
    /// are refused with the option named.</summary>
    [Theory]
    [InlineData(ModelKind.Gru, 0.2)]
    [InlineData(ModelKind.Tcn, 0.2)]
    [InlineData(ModelKind.HierTcn, 1.0)]
    [InlineData(ModelKind.HierGru, -0.1)]
    [InlineData(ModelKind.Hrnn, 1.5)]
    public void HighDropout_OnAFlatModelOrOutOfRange_IsRefused(ModelKind kind, double rate)
    {
        new TrainingOptions { Model = s_small with { Kind = kind } }.Validate();
        var e = Assert.Throws<Data.UserInputException>(() => new TrainingOptions { Model = s_small with { Kind = kind, HighDropout = rate } }.Validate());
        Assert.Contains("high_dropout", e.Message);
    }

    /// <summary>Weight decay shrinks the layers' weight matrices by 1 - lr * decay at every optimizer step and leaves the
    /// item table, biases and start states alone. At a learning rate of 1e-9 Adam moves no weight by more than about 1e-9 a
    /// step, so after one epoch of k steps every decayed weight is its undecayed run's times 0.9^k, and every other
    /// parameter equals its undecayed run's.</summary>
    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    [InlineData(ModelKind.Gru)]
    public void Run_WeightDecay_ShrinksTheLayersWeightMatricesOnly(ModelKind kind)
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var plain = new TrainingOptions
        {
            Model = s_small with { Kind = kind, Dropout = 0 },
            BatchSize = 8,
            LearningRate = 1e-9,
            MaxEpochs = 1,
            SkipValidation = true,
        };
        var decayed = plain with { WeightDecay = 1e8 };                                    // 1 - lr * decay = 0.9
        var a = new ModelTrainer(plain).Run(data, Path.Combine(dir.Path, "plain"), finalEvaluation: false);
        var b = new ModelTrainer(decayed).Run(data, Path.Combine(dir.Path, "decayed"), finalEvaluation: false);
        int steps = b.Epochs[0].OptimizerSteps;
        Assert.Equal(a.Epochs[0].OptimizerSteps, steps);
        Assert.InRange(steps, 3, 60);
        double factor = Math.Pow(0.9, steps);

        var (plainModel, _) = TrainedRun.Load(Path.Combine(dir.Path, "plain"), data);
        var (decayedModel, _) = TrainedRun.Load(Path.Combine(dir.Path, "decayed"), data);
        var expected = ModelTrainer.DecayedWeights(plainModel).Select(p => p.Handle).ToHashSet();
        var kept = decayedModel.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        int shrunk = 0;
        foreach (var (name, p) in plainModel.named_parameters())
        {
            float[] x = p.data<float>().ToArray();
            float[] y = kept[name].data<float>().ToArray();
            bool decays = expected.Contains(p.Handle);
            Assert.Equal(decays, p.dim() >= 2 && !name.StartsWith("item_", StringComparison.Ordinal) && !name.Contains("start", StringComparison.Ordinal));
            for (int i = 0; i < x.Length; i++)
            {
                double want = decays ? x[i] * factor : x[i];
                Assert.True(Math.Abs(y[i] - want) < 1e-5, $"{kind} {name}[{i}]: {y[i]} against {want} ({(decays ? "decayed" : "kept")})");
            }
            shrunk += decays ? 1 : 0;
        }
        Assert.True(shrunk >= 2, $"{kind}: only {shrunk} parameters decayed");
        Assert.DoesNotContain(ModelTrainer.DecayedWeights(plainModel), p => p.dim() < 2);
    }

    /// <summary>With the context read at the newest tap only, training leaves the first convolutions' (conv1's and, gated,
    /// gate1's) context weights at the older taps exactly zero, the saved weights an ordinary convolution's that the
    /// exporter reads as they are, while the previous-item columns keep every tap.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_TcnContextNewestTap_OlderTapsContextWeightsStayZero(bool gated)
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var model = s_small with { Kind = ModelKind.HierTcn, TcnSessionMean = true, TcnContextNewestTap = true, TcnGate = gated, Dropout = 0.2 };
        var options = new TrainingOptions { Model = model, BatchSize = 8, LearningRate = 1e-2, MaxEpochs = 1, SkipValidation = true };
        string runPath = Path.Combine(dir.Path, "run");
        new ModelTrainer(options).Run(data, runPath, finalEvaluation: false);
        var (trained, _) = TrainedRun.Load(runPath, data);
        int d = model.ItemDim, k = model.TcnKernel;
        foreach (string name in gated ? new[] { "tcn.blocks.0.conv1.weight", "tcn.blocks.0.gate1.weight" } : ["tcn.blocks.0.conv1.weight"])
        {
            var w = trained.named_parameters().Single(p => p.name == name).parameter;
            Assert.Equal(0.0, w.narrow(1, d, w.shape[1] - d).narrow(2, 0, k - 1).abs().max().item<float>());
            Assert.True(w.narrow(1, d, w.shape[1] - d).narrow(2, k - 1, 1).abs().max().item<float>() > 0, $"{name}: newest tap's context weights are zero");
            Assert.True(w.narrow(1, 0, d).narrow(2, 0, k - 1).abs().max().item<float>() > 0, $"{name}: previous items' older taps are zero");
        }
        var later = trained.named_parameters().Single(p => p.name == "tcn.blocks.1.conv1.weight").parameter;
        Assert.True(later.narrow(2, 0, k - 1).abs().max().item<float>() > 0, "the second block's convolution was masked too");
        Assert.Throws<HierTcn.Data.UserInputException>(() => (model with { Kind = ModelKind.HierGru }).Validate());
    }

    [Fact]
    public void Run_ResumedAfterOneEpoch_EqualsUninterruptedRun()
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var options = new TrainingOptions { Model = s_small with { Kind = ModelKind.HierTcn }, BatchSize = 8, MaxEpochs = 2, Patience = 5 };
        string straight = Path.Combine(dir.Path, "straight");
        string resumed = Path.Combine(dir.Path, "resumed");
        var a = new ModelTrainer(options).Run(data, straight, finalEvaluation: false);
        new ModelTrainer(options with { MaxEpochs = 1 }).Run(data, resumed, finalEvaluation: false);
        var b = new ModelTrainer(options).Run(data, resumed, resume: true, finalEvaluation: false);
        Assert.Equal(2, b.Epochs.Count);
        Assert.Equal(a.Epochs.Select(e => e.TrainLoss), b.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(a.Epochs.Select(e => e.ValidationRecall10), b.Epochs.Select(e => e.ValidationRecall10));
        Assert.Equal(File.ReadAllBytes(CheckpointModel(straight)), File.ReadAllBytes(CheckpointModel(resumed)));
    }

    [Fact]
    public void Run_LearningRateDecay_LowersTheRateAfterEachEpochWithoutImprovement()
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var constant = new TrainingOptions { Model = s_small with { Kind = ModelKind.HierTcn }, BatchSize = 8, LearningRate = 3e-2, LearningRateDecay = 1, MaxEpochs = 6, Patience = 6 };
        var decayed = constant with { LearningRateDecay = 0.5 };
        var a = new ModelTrainer(constant).Run(data, Path.Combine(dir.Path, "constant"), finalEvaluation: false);
        var b = new ModelTrainer(decayed).Run(data, Path.Combine(dir.Path, "decayed"), finalEvaluation: false);

        // The first epoch that follows an epoch without improvement runs at half the rate, and from then on the runs part.
        int first = a.Epochs.ToList().FindIndex(e => !e.Best) + 1;
        Assert.InRange(first, 2, a.Epochs.Count - 1);
        Assert.All(a.Epochs, e => Assert.Equal(3e-2, e.LearningRate));
        for (int i = 0; i < b.Epochs.Count; i++)
        {
            Assert.Equal(3e-2 * Math.Pow(0.5, b.Epochs.Take(i).Count(e => !e.Best)), b.Epochs[i].LearningRate, 12);
        }
        Assert.Equal(a.Epochs.Take(first).Select(e => e.TrainLoss), b.Epochs.Take(first).Select(e => e.TrainLoss));
        Assert.Equal(1.5e-2, b.Epochs[first].LearningRate, 12);
        Assert.NotEqual(a.Epochs[first].TrainLoss, b.Epochs[first].TrainLoss);
        Assert.Equal(b.Epochs.Select(e => e.LearningRate), new RunDirectory(Path.Combine(dir.Path, "decayed")).ReadEpochs().Select(e => e.LearningRate));
    }

    [Fact]
    public void LearningRateAfter_MinGain_AlsoCountsEpochsThatImproveByLessThanIt()
    {
        // Validation Recall@10 by epoch: 0.40, 0.45 (+0.05), 0.452 (+0.002), 0.451 (not the best), 0.47 (+0.018).
        double[] recall = [0.40, 0.45, 0.452, 0.451, 0.47];
        var epochs = recall.Select((r, i) => new EpochMetrics
        {
            Epoch = i + 1,
            ValidationRecall10 = r,
            Best = i == 0 || r > recall.Take(i).Max(),
        }).ToList();
        var plain = new TrainingOptions { LearningRate = 1, LearningRateDecay = 0.5 };
        var minGain = plain with { LearningRateDecayMinGain = 0.01 };
        // Without the gain only epoch 4 lowers the rate; with 0.01, epoch 3 (+0.002) does too, epochs 2 and 5 do not.
        double[] expectedPlain = [1, 1, 1, 1, 0.5, 0.5];
        double[] expectedMinGain = [1, 1, 1, 0.5, 0.25, 0.25];
        for (int n = 0; n <= epochs.Count; n++)
        {
            Assert.Equal(expectedPlain[n], plain.LearningRateAfter(epochs.Take(n)), 12);
            Assert.Equal(expectedMinGain[n], minGain.LearningRateAfter(epochs.Take(n)), 12);
        }
        Assert.Contains("--lr-decay-min-gain", Assert.Throws<Data.UserInputException>(
            () => (plain with { LearningRateDecayMinGain = -0.1 }).Validate()).Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void Validate_LearningRateDecayOutsideUnitInterval_IsRefused(double decay)
    {
        var e = Assert.Throws<Data.UserInputException>(() => new TrainingOptions { LearningRateDecay = decay }.Validate());
        Assert.Contains("--lr-decay", e.Message);
    }

    [Theory]
    [InlineData("model")]
    [InlineData("optimizer")]
    [InlineData("state")]
    [InlineData("run files")]
    [InlineData("cleanup")]
    public void Run_KilledWhileCheckpointing_ResumesAsTheUninterruptedRun(string step)
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var options = new TrainingOptions { Model = s_small with { Kind = ModelKind.HierTcn }, BatchSize = 8, MaxEpochs = 2, Patience = 5 };
        string straight = Path.Combine(dir.Path, "straight");
        string killed = Path.Combine(dir.Path, "killed");
        var a = new ModelTrainer(options).Run(data, straight, finalEvaluation: false);

        // The process dies before the second epoch's write named `step`, leaving a half-written temporary behind.
        int seen = 0;
        var dying = new ModelTrainer(options)
        {
            CheckpointStep = s =>
            {
                if (s == step && ++seen == 2)
                {
                    File.WriteAllBytes(Path.Combine(killed, "checkpoint", "model-e2.bin.tmp-1"), new byte[100]);
                    throw new SimulatedKill();
                }
            },
        };
        Assert.Throws<SimulatedKill>(() => dying.Run(data, killed, finalEvaluation: false));

        var b = new ModelTrainer(options).Run(data, killed, resume: true, finalEvaluation: false);
        Assert.Equal(a.Epochs.Select(e => e.TrainLoss), b.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(a.BestEpoch, b.BestEpoch);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.bin")), File.ReadAllBytes(Path.Combine(killed, "model.bin")));
        Assert.Equal(File.ReadAllBytes(CheckpointModel(straight)), File.ReadAllBytes(CheckpointModel(killed)));
        Assert.Equal(2, new RunDirectory(killed).ReadEpochs().Count);
        // Only what the committed state names is left in the checkpoint folder.
        var state = RunDirectory.Read<RunDirectory.CheckpointState>(new RunDirectory(killed).CheckpointStatePath);
        var expected = new[] { "state.json", state.Model, state.Optimizer, state.BestModel! }.Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(expected, Directory.EnumerateFiles(Path.Combine(killed, "checkpoint")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private sealed class SimulatedKill : Exception;

    private static string CheckpointModel(string runPath)
    {
        var run = new RunDirectory(runPath);
        return run.CheckpointFile(RunDirectory.Read<RunDirectory.CheckpointState>(run.CheckpointStatePath).Model);
    }

    [Fact]
    public void Run_ExistingRunWithoutResume_IsRefused()
    {
        using var dir = new TempDir();
        using var data = Walks(dir);
        var options = new TrainingOptions { Model = s_small with { Kind = ModelKind.Tcn }, MaxEpochs = 1, SkipValidation = true };
        string run = Path.Combine(dir.Path, "run");
        new ModelTrainer(options).Run(data, run, finalEvaluation: false);
        var e = Assert.Throws<HierTcn.Data.UserInputException>(() => new ModelTrainer(options).Run(data, run, finalEvaluation: false));
        Assert.Contains("--resume", e.Message);
    }
}

public sealed class TrainingSettingsTests
{
    private static readonly ModelOptions s_small = new()
    {
        Kind = ModelKind.HierTcn,
        ItemDim = 16,
        HighLayers = 1,
        HighHidden = 16,
        TcnBlocks = 2,
        TcnChannels = 24,
        TcnKernel = 3,
    };

    private static Func<int, DataSplit> Split => u => (u % 10) switch { 8 => DataSplit.Validation, 9 => DataSplit.Test, _ => DataSplit.Train };

    [Fact]
    public void Run_FeatureItemsWithBprAndPopularityNegatives_BeatsPopularity()
    {
        using var dir = new TempDir();
        const int n = 40;
        var features = new float[n * n];
        for (int i = 0; i < n; i++)
        {
            features[i * n + i] = 1;                                   // one-hot vectors: the projection learns the items
        }
        using var data = SyntheticData.Write(dir.Path, SyntheticData.Walks(160, n, seed: 8), n, Split, features, n);
        var options = new TrainingOptions
        {
            Model = s_small,
            Items = "features",
            BatchSize = 8,
            LearningRate = 1e-2,
            MaxEpochs = 4,
            Patience = 2,
            Loss = new LossOptions { Kind = LossKind.Bpr, Negatives = 20, PopularityAlpha = 0.5 },
        };
        var result = new ModelTrainer(options).Run(data, Path.Combine(dir.Path, "run"));
        var pop = Evaluator.Evaluate(data, BaselineModels.Fit("pop", data), DataSplit.Test);
        Assert.True(result.Test!.Metrics.Event.Recall10 > pop.Metrics.Event.Recall10 + 0.2,
            $"features + BPR: Recall@10 {result.Test.Metrics.Event.Recall10:F3} vs popularity {pop.Metrics.Event.Recall10:F3}");
        var config = new RunDirectory(Path.Combine(dir.Path, "run")).ReadConfig();
        Assert.Equal(n, config.ItemFeatureDim);
        Assert.Contains("item_projection.weight", config.ParameterShapes.Keys);
    }

    [Fact]
    public void Run_ImpressionsWithHinge_LearnsToRankTheShownPool()
    {
        using var dir = new TempDir();
        const int n = 40;
        using var data = SyntheticData.Write(dir.Path, SyntheticData.Walks(160, n, seed: 8), n, Split,
            shownWith: item => [(item + 5) % n, (item + 11) % n, (item + 23) % n, item]);
        Assert.True(data.HasImpressions);
        var options = new TrainingOptions
        {
            Model = s_small,
            BatchSize = 8,
            LearningRate = 1e-2,
            MaxEpochs = 3,
            Patience = 3,
            Loss = new LossOptions { Kind = LossKind.Hinge, Margin = 1 },
        };
        var result = new ModelTrainer(options).Run(data, Path.Combine(dir.Path, "run"));
        Assert.True(result.Epochs[^1].TrainLoss < result.Epochs[0].TrainLoss);
        // Ranked within each event's pool (the shown items), the clicked item comes first far more often than 1 in 4.
        Assert.NotNull(result.Test!.Impressions);
        Assert.True(result.Test.Impressions!.Event.Recall1 > 0.5, $"pool Recall@1 {result.Test.Impressions.Event.Recall1:F3}");
    }
}

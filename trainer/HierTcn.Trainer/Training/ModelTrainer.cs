using System.Diagnostics;
using HierTcn.Data;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Batching;
using HierTcn.Trainer.Evaluation;
using HierTcn.Trainer.Losses;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Models.Internal;
using HierTcn.Trainer.Plots;
using HierTcn.Trainer.Training.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Training;

/// <summary>
/// Trains one model on a prepared dataset's training split: Adam, one dispose scope per batch, validation Recall@10
/// after every epoch with early stopping, a checkpoint every epoch (resumable), then the best weights are evaluated on
/// validation and test and the reports and plots are written to the run directory. Not thread-safe; one run at a time
/// per process (libtorch's thread settings are process-wide).
/// </summary>
public sealed class ModelTrainer
{
    private readonly TrainingOptions _options;
    private readonly ILogger _log;

    /// <summary>Tests only: called before each write of a checkpoint with its name ("model", "optimizer", "state",
    /// "run files", "cleanup"); an exception thrown there stands for the process being killed at that moment.</summary>
    internal Action<string>? CheckpointStep { get; init; }

    public ModelTrainer(TrainingOptions options, ILoggerFactory? loggerFactory = null)
    {
        options.Validate();
        _options = options;
        _log = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ModelTrainer>();
    }

    /// <summary>Trains into <paramref name="runPath"/>. With <paramref name="resume"/> a run that has a checkpoint
    /// continues from it (its config must match); without, the directory must not hold a run yet.</summary>
    public TrainingResult Run(PreparedDataset data, string runPath, bool resume = false, Action<TrainingProgress>? progress = null,
        bool finalEvaluation = true, CancellationToken cancellation = default)
    {
        var run = new RunDirectory(runPath);
        if (!resume && File.Exists(run.ConfigPath))
        {
            throw new UserInputException($"{run.Path} already holds a run; pass --resume to continue it or choose another --out.");
        }
        TorchRuntime.SetThreads(_options.Threads);
        Device device = TorchRuntime.ParseDevice(_options.Device);
        ItemSource items = ItemsOf(data, _options);
        var sessions = UserSessions.Read(data, DataSplit.Train, _options.MaxTrainUsers);
        if (sessions.SessionCount == 0)
        {
            throw new UserInputException($"{data.Directory}: no training events.");
        }

        TorchRuntime.Seed(_options.Seed);
        using var model = ModelFactory.Create(_options.Model, items);
        var checkpoints = new Checkpoints(run, CheckpointStep);
        RunConfig? previous = null;
        RunDirectory.CheckpointState? restored = null;
        if (resume && run.HasCheckpoint)
        {
            previous = run.ReadConfig();
            if (previous.Training with { MaxEpochs = 0 } != _options with { MaxEpochs = 0 } || previous.DataSha256 != data.Header.DataSha256)
            {
                throw new UserInputException($"{run.ConfigPath}: the run was started with other options or data; resume with the same ones.");
            }
            restored = checkpoints.RestoreModel(model);
        }
        model.to(device);
        var config = new RunConfig
        {
            Training = _options,
            DatasetName = data.Header.Name,
            DatasetSha256 = data.Header.InputSha256,
            DataSha256 = data.Header.DataSha256,
            Items = data.ItemCount,
            ItemFeatureDim = items.FeatureDim,
            Parameters = model.ParameterCount(),
            ParameterShapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape),
            TrainUsers = sessions.Users.Length,
            TrainSessions = sessions.SessionCount,
            TrainEvents = sessions.EventCount,
            CreatedUtc = DateTime.UtcNow,
        };
        Log.Model(_log, model.Describe());
        progress?.Invoke(new TrainingProgress(0, "info", 0, 0, 0, 0,
            $"{ModelKinds.Name(model.Kind)}: {model.ParameterCount():N0} parameters; {sessions.Users.Length:N0} training users, {sessions.SessionCount:N0} sessions, {sessions.EventCount:N0} events; OpenMP wait {TorchRuntime.WaitPolicy} ({TorchRuntime.WaitPolicyReason}){(_options.Workers > 1 && TorchRuntime.WaitPolicy == "ACTIVE" ? $"; --workers {_options.Workers} beside spinning OpenMP threads runs slower: set HIERTCN_OMP_WAIT=passive" : "")}"));

        using var optimizer = new FusedAdam(model.parameters(), _options.LearningRate);
        var epochs = new List<EpochMetrics>();
        var state = new RunDirectory.CheckpointState();
        if (restored is not null)
        {
            state = checkpoints.RestoreOptimizer(optimizer, restored);
            epochs = (state.Epochs ?? run.ReadEpochs()).Where(e => e.Epoch <= state.Epoch).ToList();
            config = config with { CreatedUtc = previous!.CreatedUtc };
            Log.Resumed(_log, run.Path, state.Epoch);
        }
        Directory.CreateDirectory(run.Path);
        run.WriteConfig(config);

        using var sampler = _options.Loss.NeedsNegatives
            ? new NegativeSampler(sessions.ItemCounts(data), _options.Loss.PopularityAlpha, device) : null;
        var hyper = HyperParameters(config);
        for (int epoch = state.Epoch + 1; epoch <= _options.MaxEpochs && !state.Stopped; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            TorchRuntime.Seed((long)_options.Seed * 1000 + epoch);
            double lr = _options.LearningRateAfter(epochs);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = lr;
            }
            var metrics = TrainEpoch(model, optimizer, sampler, data, sessions, epoch, device, progress, cancellation) with { LearningRate = lr };
            if (!_options.SkipValidation)
            {
                progress?.Invoke(new TrainingProgress(epoch, "validate", 0, 1, metrics.TrainLoss, metrics.EventsPerSecond));
                var clock = Stopwatch.StartNew();
                var report = Evaluator.Evaluate(data, new NeuralRankingModel(model, hyper), DataSplit.Validation,
                    NeuralRankingModel.Batched(new EvaluationOptions { MaxDegreeOfParallelism = _options.Threads, Seed = _options.Seed }));
                metrics = metrics with
                {
                    ValidationRecall10 = report.Metrics.Event.Recall10,
                    ValidationMrr = report.Metrics.Event.Mrr,
                    ValidationSeconds = clock.Elapsed.TotalSeconds,
                };
            }
            double score = metrics.Score;
            bool best = state.BestEpoch == 0 || score > state.BestRecall10;
            metrics = metrics with { Best = best };
            state = best
                ? state with { Epoch = epoch, BestEpoch = epoch, BestRecall10 = score, EpochsWithoutImprovement = 0 }
                : state with { Epoch = epoch, EpochsWithoutImprovement = state.EpochsWithoutImprovement + 1 };
            state = state with { Stopped = state.EpochsWithoutImprovement >= _options.Patience };
            epochs.Add(metrics);
            state = checkpoints.Write(model, optimizer, state, epochs, best);
            TrainingPlot.Write(epochs, ModelKinds.Name(model.Kind), run.TrainingPlotPath);
            Log.Epoch(_log, epoch, metrics.TrainLoss, metrics.EventsPerSecond, metrics.ValidationRecall10 ?? double.NaN, best);
            progress?.Invoke(new TrainingProgress(epoch, "info", 0, 0, metrics.TrainLoss, metrics.EventsPerSecond,
                $"epoch {epoch}: lr {lr:G3}, loss {metrics.TrainLoss:F4}, {metrics.TrainSeconds:F1} s, {metrics.EventsPerSecond:N0} events/s, validation Recall@10 {metrics.ValidationRecall10:F4} MRR {metrics.ValidationMrr:F4}{(best ? " (best)" : "")}"));
        }

        double trainSeconds = epochs.Sum(e => e.TrainSeconds + e.ValidationSeconds);
        var result = new TrainingResult { Epochs = epochs, BestEpoch = state.BestEpoch, TrainWallSeconds = trainSeconds };
        if (!finalEvaluation)
        {
            return result;
        }
        model.load(run.ModelPath);
        hyper["best_epoch"] = state.BestEpoch;
        hyper["train_events_per_s"] = epochs.Count > 0 ? epochs.Average(e => e.EventsPerSecond) : 0;
        var reports = new Dictionary<DataSplit, EvaluationReport>();
        foreach (var split in new[] { DataSplit.Validation, DataSplit.Test })
        {
            progress?.Invoke(new TrainingProgress(state.Epoch, "evaluate", 0, 1, 0, 0));
            var report = Evaluator.Evaluate(data, new NeuralRankingModel(model, hyper), split, NeuralRankingModel.Batched(new EvaluationOptions
            {
                MaxDegreeOfParallelism = _options.Threads,
                Seed = _options.Seed,
                TrainWallTimeSeconds = trainSeconds,
                KeepEventResults = split == DataSplit.Test,
            }));
            string name = DatasetHeader.SplitName(split);
            report.WriteJson(run.ReportPath(name));
            if (report.Events is not null)
            {
                report.WriteEventsCsv(run.EventsCsvPath(name));
                FigurePlots.Write([(report.Model, report.Events)], run.Path);
            }
            reports[split] = report;
        }
        return result with { Validation = reports[DataSplit.Validation], Test = reports[DataSplit.Test] };
    }

    /// <summary>The item source a run uses: learned ids or the dataset's fixed vectors.</summary>
    public static ItemSource ItemsOf(PreparedDataset data, TrainingOptions options)
    {
        if (options.Items != "features")
        {
            return ItemSource.Ids(data.ItemCount);
        }
        if (data.ItemFeatureDim == 0)
        {
            throw new UserInputException($"--items features: {data.Directory} has no item features (prepare it with an item feature file).");
        }
        return ItemSource.FromFeatures(data.ItemFeatures.ToArray(), data.ItemCount, data.ItemFeatureDim);
    }

    /// <summary>The hyper-parameters reports carry.</summary>
    public static Dictionary<string, object?> HyperParameters(RunConfig config) => new()
    {
        ["model"] = ModelKinds.Name(config.Training.Model.Kind),
        ["item_dim"] = config.Training.Model.ItemDim,
        ["high_layers"] = config.Training.Model.HighLayers,
        ["high_hidden"] = config.Training.Model.HighHidden,
        ["low_layers"] = config.Training.Model.LowLayers,
        ["low_hidden"] = config.Training.Model.LowHidden,
        ["tcn_blocks"] = config.Training.Model.TcnBlocks,
        ["tcn_channels"] = config.Training.Model.TcnChannels,
        ["tcn_kernel"] = config.Training.Model.TcnKernel,
        ["tcn_gate"] = config.Training.Model.TcnGate,
        ["tcn_session_mean"] = config.Training.Model.TcnSessionMean,
        ["dropout"] = config.Training.Model.Dropout,
        ["input_dropout"] = config.Training.Model.InputDropout,
        ["batch_norm"] = config.Training.Model.BatchNorm,
        ["layer_norm"] = config.Training.Model.LayerNorm,
        ["high_skip"] = config.Training.Model.HighSkip,
        ["item_skip"] = config.Training.Model.ItemSkip,
        ["mean_skip"] = config.Training.Model.MeanSkip,
        ["recent_pop_prior"] = config.Training.Model.RecentPopPrior,
        ["high_time_gap"] = config.Training.Model.HighTimeGap,
        ["loss"] = config.Training.Loss.Kind.ToString(),
        ["sampled_softmax"] = config.Training.Loss.SampledSoftmax,
        ["label_smoothing"] = config.Training.Loss.LabelSmoothing,
        ["items"] = config.Training.Items,
        ["batch_size"] = config.Training.BatchSize,
        ["batching"] = config.Training.Batching,
        ["learning_rate"] = config.Training.LearningRate,
        ["lr_decay"] = config.Training.LearningRateDecay,
        ["lr_decay_min_gain"] = config.Training.LearningRateDecayMinGain,
        ["max_train_users"] = config.Training.MaxTrainUsers,
        ["parameters"] = config.Parameters,
        ["threads"] = config.Training.Threads,
        ["device"] = config.Training.Device,
    };

    /// <summary>The parameters <see cref="TrainingOptions.WeightDecay"/> shrinks: the layers' weight matrices (two or
    /// more dimensions), not the item table or projection, item biases, layer biases or learned start states.</summary>
    internal static Parameter[] DecayedWeights(RecommenderModel model) =>
        [.. model.named_parameters()
            .Where(p => p.parameter.dim() >= 2 && !p.name.StartsWith("item_", StringComparison.Ordinal) && !p.name.Contains("start", StringComparison.Ordinal))
            .Select(p => p.parameter)];

    /// <summary>The recent-popularity prior's input, its counts sorted once per run (not per epoch).</summary>
    private readonly Models.Internal.RecentPopInput _recentPop = new();

    private EpochMetrics TrainEpoch(RecommenderModel model, FusedAdam optimizer, NegativeSampler? sampler, PreparedDataset data,
        UserSessions sessions, int epoch, Device device, Action<TrainingProgress>? progress, CancellationToken cancellation)
    {
        model.train();
        bool recentPop = model.Options.RecentPopPrior;
        Parameter[] parameters = [.. model.parameters()];
        Parameter[] decayed = _options.WeightDecay > 0 ? DecayedWeights(model) : [];
        double decay = 1 - optimizer.ParamGroups.First().LearningRate * _options.WeightDecay;
        int seed = _options.Seed * 1000 + epoch;
        long total = sessions.EventCount - sessions.Users.Length;
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long events = 0;
        int count = 0;
        int steps = 0;
        long padded = 0;
        long maxPadded = 0;

        // A user's first event has no context and is never scored (PROTOCOL.md): it carries no loss. A batch (or a
        // worker's share of one) adds its summed event losses over its step's events, so a step accumulated over
        // several batches and shares is a mean over its events. Returns the share's mean event loss.
        // With `into`, the gradients are returned there (outside any dispose scope) instead of being accumulated into
        // the parameters' .grad: a second worker's share, added after the first's in a fixed order, so a run with
        // workers is as repeatable as one without.
        double Backward(Tensor user, Tensor targets, int[] eventIds, long stepEvents, Tensor?[]? into = null)
        {
            Negatives? negatives = _options.Loss.NeedsNegatives ? NegativesFor(eventIds, data, sampler!, device) : null;
            Tensor? bias = model.ItemBias();
            if (recentPop)
            {
                // Each scored event's counts of the window before it ([P, N]), as the evaluation adds them.
                Tensor prior = _recentPop.Prior(model, data, eventIds, device);
                bias = bias is null ? prior : Arith.Add(prior, bias);
            }
            Tensor loss = RankingLoss.Compute(_options.Loss, user, targets, model.ItemVectors(), negatives, bias);
            Tensor scaled = Arith.Mul(loss, (double)eventIds.Length / stepEvents);
            if (into is null)
            {
                scaled.backward();
            }
            else
            {
                var grads = autograd.grad([scaled], parameters, allow_unused: true);
                for (int i = 0; i < parameters.Length; i++)
                {
                    into[i] = grads[i] is { IsInvalid: false } g ? g.DetachFromDisposeScope() : null;
                }
            }
            double value = loss.item<float>();
            if (!double.IsFinite(value))
            {
                throw new InvalidOperationException($"epoch {epoch}, batch {count + 1}: the loss is {value}; lower --lr or set --clip-norm.");
            }
            return value;
        }

        void Finish(bool stepAfter, long cells)
        {
            if (stepAfter)
            {
                if (_options.ClipNorm > 0)
                {
                    nn.utils.clip_grad_norm_(model.parameters(), _options.ClipNorm);
                }
                optimizer.step();
                optimizer.zero_grad();
                if (decayed.Length > 0)
                {
                    using var noGrad = no_grad();
                    foreach (var p in decayed)
                    {
                        Arith.MulInPlace(p, decay);
                    }
                }
                steps++;
            }
            count++;
            padded += cells;
            maxPadded = Math.Max(maxPadded, cells);
            progress?.Invoke(new TrainingProgress(epoch, "train", events, total, events > 0 ? lossSum / events : 0, events / clock.Elapsed.TotalSeconds));
        }

        optimizer.zero_grad();
        if (model is HierarchicalModel whole && _options.Batching == "users")
        {
            foreach (var batch in new UserSessionBatcher(data, sessions, _options.BatchSize).Epoch(seed))
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var items = batch.Buckets.Select(b => tensor(b.Items, [b.Rows, b.Steps]).to(device)).ToList();
                var lengths = batch.Buckets.Select(b => tensor(b.Lengths).to(device)).ToList();
                Tensor[] u = whole.ForwardUsers(batch, items, lengths);
                var users = new List<Tensor>();
                var targets = new List<Tensor>();
                var eventIds = new List<int>();
                for (int i = 0; i < u.Length; i++)
                {
                    long[] positions = batch.Buckets[i].ScoredPositions();
                    if (positions.Length == 0)
                    {
                        continue;
                    }
                    Tensor index = tensor(positions).to(device);
                    users.Add(u[i].reshape(-1, u[i].shape[2]).index_select(0, index));
                    targets.Add(items[i].reshape(-1).index_select(0, index));
                    eventIds.AddRange(positions.Select(p => batch.Buckets[i].Events[p]));
                }
                if (eventIds.Count > 0)
                {
                    double loss = Backward(cat(users, 0), cat(targets, 0), [.. eventIds], eventIds.Count);
                    lossSum += loss * eventIds.Count;
                    events += eventIds.Count;
                }
                Finish(stepAfter: true, batch.PaddedPositions);
            }
        }
        else
        {
            bool hierarchical = model is HierarchicalModel;
            IEnumerable<PaddedBatch> batches = hierarchical
                ? new SessionQueueBatcher(data, sessions, _options.BatchSize).Epoch(seed)
                : new UserSequenceBatcher(data, sessions, _options.BatchSize).Epoch(seed);
            // Rows are independent within a step (one queue or one user each): with several workers each runs a
            // contiguous share of them on its own thread, a hierarchical share keeping its own carried state.
            int workers = _options.Workers;
            var carried = new HierarchicalState?[workers];
            if (hierarchical)
            {
                for (int w = 0; w < workers; w++)
                {
                    carried[w] = ((HierarchicalModel)model).InitialState(ShareOf(_options.BatchSize, workers, w).Count);
                }
            }
            var shareLoss = new (double Loss, int Events)[workers];
            var shareGrads = Enumerable.Range(0, workers).Select(_ => new Tensor?[parameters.Length]).ToArray();
            void Share(PaddedBatch part, int w)
            {
                using var scope = NewDisposeScope();
                Tensor items = tensor(part.Items, [part.Rows, part.Steps]).to(device);
                Tensor lengths = tensor(part.Lengths).to(device);
                Tensor u;
                if (hierarchical)
                {
                    Tensor? gaps = null;
                    if (model.Options.HighTimeGap)
                    {
                        var minutes = new float[part.Rows];
                        var timestamps = data.EventTimestamps;
                        for (int r = 0; r < part.Rows; r++)
                        {
                            minutes[r] = part.Lengths[r] > 0 ? HierarchicalModel.GapMinutes(timestamps, part.Events[r * part.Steps], part.NewUser![r]) : 0f;
                        }
                        gaps = tensor(minutes).to(device);
                    }
                    var (output, next) = ((HierarchicalModel)model).Step(carried[w]!, items, lengths, tensor(part.NewUser!).to(device), gaps);
                    carried[w]!.Dispose();
                    carried[w] = next;
                    u = output;
                }
                else
                {
                    u = ((FlatModel)model).Forward(items, tensor(part.SessionStarts!, [part.Rows, part.Steps]).to(device), lengths);
                }
                long[] positions = part.ScoredPositions();
                int[] eventIds = [.. positions.Select(p => part.Events[p])];
                if (eventIds.Length > 0)
                {
                    Tensor index = tensor(positions).to(device);
                    shareLoss[w] = (Backward(u.reshape(-1, u.shape[2]).index_select(0, index), items.reshape(-1).index_select(0, index), eventIds,
                        part.StepEvents, w == 0 ? null : shareGrads[w]), eventIds.Length);
                }
            }
            try
            {
                if (workers > 1)
                {
                    // One libtorch thread per worker; the optimizer's pass uses the workers' cores.
                    TorchRuntime.SetIntraOpThreads(1);
                    optimizer.Parallelism = workers;
                }
                foreach (var batch in batches)
                {
                    cancellation.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    Array.Clear(shareLoss);
                    if (workers == 1)
                    {
                        Share(batch, 0);
                    }
                    else
                    {
                        if (hierarchical && batch.Rows != _options.BatchSize)
                        {
                            throw new InvalidOperationException($"a queue batch of {batch.Rows} rows, expected {_options.BatchSize}");
                        }
                        var parts = Enumerable.Range(0, workers).Select(w => ShareOf(batch.Rows, workers, w))
                            .Select(r => r.Count > 0 ? batch.RowRange(r.From, r.Count) : null).ToArray();
                        try
                        {
                            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
                            {
                                if (parts[w] is { } part)
                                {
                                    // OpenMP's thread count is per calling thread: a pool thread would run its own
                                    // team of --threads threads beside the other worker's (measured: 0.74x).
                                    int before = torch.get_num_threads();
                                    TorchRuntime.SetIntraOpThreads(1);
                                    try
                                    {
                                        Share(part, w);
                                    }
                                    finally
                                    {
                                        TorchRuntime.SetIntraOpThreads(before);
                                    }
                                }
                            });
                        }
                        catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
                        {
                            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
                        }
                    }
                    foreach (var (loss, n) in shareLoss)
                    {
                        lossSum += loss * n;
                        events += n;
                    }
                    for (int w = 1; w < workers; w++)
                    {
                        AddGradients(parameters, shareGrads[w]);
                    }
                    Finish(batch.StepAfter, (long)batch.Rows * batch.Steps);
                }
            }
            finally
            {
                foreach (var state in carried)
                {
                    state?.Dispose();
                }
                if (workers > 1)
                {
                    TorchRuntime.SetIntraOpThreads(_options.Threads);
                    optimizer.Parallelism = 1;
                }
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        long bytesPerPosition = 4L * model.Dim;
        return new EpochMetrics
        {
            Epoch = epoch,
            TrainLoss = events > 0 ? lossSum / events : double.NaN,
            TrainEvents = events,
            Batches = count,
            OptimizerSteps = steps,
            TrainSeconds = seconds,
            EventsPerSecond = events / Math.Max(seconds, 1e-9),
            PaddedPositionsPerBatch = count > 0 ? (double)padded / count : 0,
            MaxPaddedPositions = maxPadded,
            InputBytesPerBatch = count > 0 ? (double)padded * bytesPerPosition / count : 0,
            MaxInputBytes = maxPadded * bytesPerPosition,
        };
    }

    /// <summary>Adds <paramref name="grads"/> (a worker's share; disposed and cleared here) to the parameters' .grad.</summary>
    private static void AddGradients(Parameter[] parameters, Tensor?[] grads)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Length; i++)
        {
            if (grads[i] is not { } g)
            {
                continue;
            }
            using (Tensor? current = parameters[i].grad)
            {
                if (current is null || current.IsInvalid)
                {
                    parameters[i].grad = g;
                }
                else
                {
                    Arith.AddInPlace(current, g);
                }
            }
            g.Dispose();
            grads[i] = null;
        }
    }

    /// <summary>Share <paramref name="w"/> of <paramref name="workers"/> of <paramref name="rows"/> rows: contiguous,
    /// sizes differing by at most one.</summary>
    internal static (int From, int Count) ShareOf(int rows, int workers, int w)
    {
        int from = (int)((long)rows * w / workers);
        return (from, (int)((long)rows * (w + 1) / workers) - from);
    }

    /// <summary>The items shown with each event when the dataset has impressions (and they are wanted), else samples.</summary>
    private Negatives NegativesFor(int[] eventIds, PreparedDataset data, NegativeSampler sampler, Device device)
    {
        if (!_options.Loss.UseImpressions || !data.HasImpressions)
        {
            return sampler.Sample(eventIds.Length, _options.Loss.Negatives);
        }
        int width = 0;
        foreach (int e in eventIds)
        {
            width = Math.Max(width, data.Impressions(e).Length);
        }
        if (width == 0)
        {
            return sampler.Sample(eventIds.Length, _options.Loss.Negatives);
        }
        var ids = new long[eventIds.Length * width];
        var mask = new bool[eventIds.Length * width];
        for (int i = 0; i < eventIds.Length; i++)
        {
            var shown = data.Impressions(eventIds[i]);
            for (int j = 0; j < shown.Length; j++)
            {
                ids[i * width + j] = shown[j];
                mask[i * width + j] = true;
            }
        }
        return new Negatives(tensor(ids, [eventIds.Length, width]).to(device), tensor(mask, [eventIds.Length, width]).to(device),
            zeros([eventIds.Length, width], device: device));
    }
}

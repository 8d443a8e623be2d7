using System.CommandLine;
using HierTcn.Data;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Losses;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Training;
using Spectre.Console;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn train</c>: trains HierTCN or a neural baseline on a prepared dataset into a run directory.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Prepared dataset directory (./hiertcn prepare).", Required = true };
        var model = new Option<string>("--model") { Description = "hiertcn, hiergru, hrnn, tcn or gru.", Required = true };
        model.AcceptOnlyFromAmong("hiertcn", "hiergru", "hrnn", "tcn", "gru");
        var output = new Option<string>("--out") { Description = "Run directory to create (or continue with --resume).", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint." };
        var epochs = new Option<int>("--epochs") { Description = "Most epochs.", DefaultValueFactory = _ => 20 };
        var patience = new Option<int>("--patience") { Description = "Stop after this many epochs without a better validation Recall@10.", DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch-size") { Description = "Queues (hierarchical) or users (flat) per batch.", DefaultValueFactory = _ => 32 };
        var batching = new Option<string>("--batching")
        {
            Description = "Hierarchical models: queue (the paper's generator, one session a row) or users (whole users, full backpropagation through the high level).",
            DefaultValueFactory = _ => "queue",
        };
        batching.AcceptOnlyFromAmong("queue", "users");
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 1e-3 };
        var lrDecay = new Option<double>("--lr-decay")
        {
            Description = "Multiply the learning rate by this after each epoch that does not improve validation Recall@10 (1: constant).",
            DefaultValueFactory = _ => new TrainingOptions().LearningRateDecay,
        };
        var lrDecayMinGain = new Option<double?>("--lr-decay-min-gain")
        {
            Description = "Also lower the rate after an epoch that improves validation Recall@10 by this or less (0: only after one that does not improve; default: hiertcn and hiergru 0.003, the others 0).",
        };
        var seed = new Option<int>("--seed") { Description = "Seed of weights, order, sampling, dropout.", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => 2 };
        var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var items = new Option<string>("--items") { Description = "ids (learned embeddings) or features (the dataset's item vectors).", DefaultValueFactory = _ => "ids" };
        items.AcceptOnlyFromAmong("ids", "features");
        var loss = new Option<string>("--loss") { Description = "cross-entropy, l2, nce, bpr or hinge.", DefaultValueFactory = _ => "cross-entropy" };
        loss.AcceptOnlyFromAmong("cross-entropy", "l2", "nce", "bpr", "hinge");
        var sampledSoftmax = new Option<bool>("--sampled-softmax") { Description = "Cross-entropy over sampled negatives instead of the catalogue." };
        var negatives = new Option<int>("--negatives") { Description = "Sampled negatives per event.", DefaultValueFactory = _ => 100 };
        var alpha = new Option<double>("--popularity-alpha") { Description = "Sample negatives by popularity^alpha (0: uniform).", DefaultValueFactory = _ => 0 };
        var margin = new Option<double>("--margin") { Description = "Hinge margin.", DefaultValueFactory = _ => 1 };
        var labelSmoothing = new Option<double?>("--label-smoothing") { Description = "Full-catalogue cross-entropy: weight e of a uniform target over the catalogue beside the clicked item (default 0.1; every other loss 0)." };
        var noImpressions = new Option<bool>("--no-impressions") { Description = "Sample negatives even when the dataset has impressions." };
        var dropout = new Option<double?>("--dropout") { Description = "Dropout (GRU candidate activation, TCN convolutions; default: hiertcn 0.3, hiergru, hrnn, gru and tcn 0.2)." };
        var highDropout = new Option<double?>("--high-dropout") { Description = "hiertcn, hiergru and hrnn: the high-level GRU's dropout, when it should differ from --dropout (default: the same)." };
        var inputDropout = new Option<double?>("--input-dropout") { Description = "hiertcn and hiergru: dropout on the low level's input rows while training (default 0)." };
        var batchNorm = new Option<bool>("--batch-norm") { Description = "Masked per-time-step batch norm in the TCN." };
        var layerNorm = new Option<bool>("--layer-norm") { Description = "Layer normalization of every TCN convolution's output over its channels (hiertcn, tcn; not exported)." };
        var highSkip = new Option<bool?>("--high-skip") { Description = "hiertcn and hiergru: u = output(low level) + W h, a linear path from the high-level state to the user vector (true or false; default: hiertcn true)." };
        var itemSkip = new Option<bool?>("--item-skip") { Description = "hiertcn and hiergru: u_t = output(low level)_t + W x_t, a linear path from each row's input item (the previous item) to the user vector (true or false; default: hiertcn and hiergru true)." };
        var meanSkip = new Option<bool?>("--mean-skip") { Description = "hiertcn and hiergru: u_t += W mean(x_0..x_t), a linear path from the running mean of the session's input rows to the user vector (true or false; default: hiertcn and hiergru true; hiertcn with --tcn-session-mean false, false)." };
        var itemBias = new Option<bool?>("--item-bias") { Description = "A learned per-item score bias (true or false; default off)." };
        var itemDim = new Option<int?>("--item-dim") { Description = "Item and user embedding size (default 128)." };
        var highLayers = new Option<int?>("--high-layers") { Description = "High-level GRU layers (default 1; the paper's 4)." };
        var highHidden = new Option<int?>("--high-hidden") { Description = "High-level GRU size (default 128)." };
        var lowLayers = new Option<int?>("--low-layers") { Description = "Low-level / flat GRU layers (default: hiergru and hrnn 1, gru 2; the paper's 4)." };
        var lowHidden = new Option<int?>("--low-hidden") { Description = "Low-level / flat GRU size (default: hiergru 256, others 128)." };
        var tcnBlocks = new Option<int?>("--tcn-blocks") { Description = "TCN blocks (default: hiertcn 1, tcn 6; the paper's 4)." };
        var tcnChannels = new Option<int?>("--tcn-channels") { Description = "TCN filters (default 128)." };
        var tcnKernel = new Option<int?>("--tcn-kernel") { Description = "TCN kernel size (default: hiertcn 3, tcn 5)." };
        var tcnGate = new Option<bool?>("--tcn-gate") { Description = "Gated TCN convolutions: conv(x) * sigmoid(gate(x)) instead of relu (true or false)." };
        var tcnSessionMean = new Option<bool?>("--tcn-session-mean") { Description = "HierTCN: each low-level row also reads the mean of the session's items so far (true or false; default: hiertcn true)." };
        var tcnContextNewestTap = new Option<bool?>("--tcn-context-newest-tap") { Description = "HierTCN: the first convolution reads the high-level state and session mean at the row's own tap only (true or false; default false)." };
        var highTimeGap = new Option<bool?>("--high-time-gap") { Description = "hiertcn and hiergru: the high level also reads the time between sessions (true or false; default false)." };
        var recentPopPrior = new Option<bool?>("--recent-pop-prior") { Description = "hiertcn and hiergru: every score also gets w log(1 + the training users' clicks of the item in the 15 minutes before the event), w learned (true or false; default false; not exported)." };
        var maxUsers = new Option<int>("--max-train-users") { Description = "Train on the first N training users only (0: all).", DefaultValueFactory = _ => 0 };
        var clip = new Option<double>("--clip-norm") { Description = "Clip the gradient norm (0: off).", DefaultValueFactory = _ => 0 };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Decoupled weight decay on the layers' weight matrices (AdamW's; 0: off).", DefaultValueFactory = _ => 0 };
        var skipValidation = new Option<bool>("--skip-validation") { Description = "No validation between epochs (timing runs)." };
        var workers = new Option<int>("--workers") { Description = "Threads that each train a share of every batch's rows with one libtorch thread (default 1: libtorch's threads inside each operation; more wants HIERTCN_OMP_WAIT=passive).", DefaultValueFactory = _ => 1 };
        var noFinal = new Option<bool>("--no-final-eval") { Description = "Skip the final validation and test evaluation." };

        var command = new Command("train", "Train HierTCN or a neural baseline (HierGRU, HRNN, TCN, GRU) on a prepared dataset.")
        {
            data, model, output, resume, epochs, patience, batch, batching, lr, lrDecay, lrDecayMinGain, seed, threads, device, items, loss, sampledSoftmax, negatives, alpha,
            margin, labelSmoothing, noImpressions, dropout, highDropout, inputDropout, batchNorm, layerNorm, highSkip, itemSkip, meanSkip, itemBias, itemDim, highLayers, highHidden, lowLayers, lowHidden, tcnBlocks, tcnChannels,
            tcnKernel, tcnGate, tcnSessionMean, tcnContextNewestTap, highTimeGap, recentPopPrior, maxUsers, clip, weightDecay, skipValidation, noFinal, workers,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var kind = ModelKinds.Parse(parse.GetValue(model)!);
            var m = ModelOptions.ForKind(kind);
            m = m with
            {
                ItemDim = parse.GetValue(itemDim) ?? m.ItemDim,
                HighLayers = parse.GetValue(highLayers) ?? m.HighLayers,
                HighHidden = parse.GetValue(highHidden) ?? m.HighHidden,
                LowLayers = parse.GetValue(lowLayers) ?? m.LowLayers,
                LowHidden = parse.GetValue(lowHidden) ?? m.LowHidden,
                TcnBlocks = parse.GetValue(tcnBlocks) ?? m.TcnBlocks,
                TcnChannels = parse.GetValue(tcnChannels) ?? m.TcnChannels,
                TcnKernel = parse.GetValue(tcnKernel) ?? m.TcnKernel,
                TcnGate = parse.GetValue(tcnGate) ?? m.TcnGate,
                TcnSessionMean = parse.GetValue(tcnSessionMean) ?? m.TcnSessionMean,
                TcnContextNewestTap = parse.GetValue(tcnContextNewestTap) ?? m.TcnContextNewestTap,
                HighTimeGap = parse.GetValue(highTimeGap) ?? m.HighTimeGap,
                RecentPopPrior = parse.GetValue(recentPopPrior) ?? m.RecentPopPrior,
                Dropout = parse.GetValue(dropout) ?? m.Dropout,
                HighDropout = parse.GetValue(highDropout) ?? m.HighDropout,
                InputDropout = parse.GetValue(inputDropout) ?? m.InputDropout,
                BatchNorm = parse.GetValue(batchNorm),
                LayerNorm = parse.GetValue(layerNorm),
                HighSkip = parse.GetValue(highSkip) ?? m.HighSkip,
                ItemSkip = parse.GetValue(itemSkip) ?? m.ItemSkip,
                // HierTCN's mean skip reads the session mean: turning the mean off turns the default skip off with it.
                MeanSkip = parse.GetValue(meanSkip) ?? (m.MeanSkip && (kind != ModelKind.HierTcn || (parse.GetValue(tcnSessionMean) ?? m.TcnSessionMean))),
                ItemBias = parse.GetValue(itemBias) ?? m.ItemBias,
            };
            var lossOptions = new LossOptions
            {
                Kind = parse.GetValue(loss) switch
                {
                    "l2" => LossKind.L2,
                    "nce" => LossKind.Nce,
                    "bpr" => LossKind.Bpr,
                    "hinge" => LossKind.Hinge,
                    _ => LossKind.CrossEntropy,
                },
                SampledSoftmax = parse.GetValue(sampledSoftmax),
                Negatives = parse.GetValue(negatives),
                PopularityAlpha = parse.GetValue(alpha),
                Margin = parse.GetValue(margin),
                UseImpressions = !parse.GetValue(noImpressions),
            };
            var options = new TrainingOptions
            {
                Model = m,
                Loss = lossOptions with { LabelSmoothing = parse.GetValue(labelSmoothing) ?? lossOptions.DefaultLabelSmoothing },
                Items = parse.GetValue(items)!,
                BatchSize = parse.GetValue(batch),
                Batching = parse.GetValue(batching)!,
                LearningRate = parse.GetValue(lr),
                LearningRateDecay = parse.GetValue(lrDecay),
                LearningRateDecayMinGain = parse.GetValue(lrDecayMinGain) ?? TrainingOptions.DefaultLearningRateDecayMinGain(kind),
                MaxEpochs = parse.GetValue(epochs),
                Patience = parse.GetValue(patience),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                Workers = parse.GetValue(workers),
                Device = parse.GetValue(device)!,
                MaxTrainUsers = parse.GetValue(maxUsers),
                ClipNorm = parse.GetValue(clip),
                WeightDecay = parse.GetValue(weightDecay),
                SkipValidation = parse.GetValue(skipValidation),
            };
            return Run(parse.GetValue(data)!, parse.GetValue(output)!, options, parse.GetValue(resume), !parse.GetValue(noFinal));
        }));
        return command;
    }

    private static int Run(string dataDir, string runDir, TrainingOptions options, bool resume, bool finalEvaluation)
    {
        var trainer = new ModelTrainer(options);
        using var data = PreparedDataset.Open(dataDir);
        TrainingResult result = null!;
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Redirected output (logs, CI): one line per model, epoch and phase instead of redrawn bars.
            result = trainer.Run(data, runDir, resume, p =>
            {
                if (p.Phase == "info")
                {
                    Console.WriteLine(p.Message);
                }
                else if (p.Done == 0)
                {
                    Console.WriteLine($"epoch {p.Epoch}: {p.Phase} ...");
                }
            }, finalEvaluation);
        }
        else
        {
            AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask? task = null;
                    int taskEpoch = -1;
                    string taskPhase = "";
                    result = trainer.Run(data, runDir, resume, p =>
                    {
                        if (p.Phase == "info")
                        {
                            ctx.AddTask(Markup.Escape(p.Message ?? ""), maxValue: 1).Value(1);
                            return;
                        }
                        if (task is null || taskEpoch != p.Epoch || taskPhase != p.Phase)
                        {
                            task?.Value(task.MaxValue);
                            task = ctx.AddTask(p.Phase, maxValue: Math.Max(p.Total, 1));
                            taskEpoch = p.Epoch;
                            taskPhase = p.Phase;
                        }
                        task.MaxValue = Math.Max(p.Total, 1);
                        task.Value = p.Done;
                        task.Description = p.Phase == "train"
                            ? $"epoch {p.Epoch} train: loss {p.Loss:F4}, {p.EventsPerSecond:N0} events/s"
                            : $"epoch {p.Epoch} {p.Phase}";
                        ctx.Refresh();
                    }, finalEvaluation);
                    task?.Value(task.MaxValue);
                });
        }
        AnsiConsole.MarkupLineInterpolated($"run: [bold]{Path.GetFullPath(runDir)}[/] (best epoch {result.BestEpoch}, {result.TrainWallSeconds:F1} s training)");
        if (result.Validation is not null && result.Test is not null)
        {
            Render(result.Validation);
            Render(result.Test);
        }
        return CommandRunner.ExitOk;
    }

    internal static void Render(EvaluationReport r) => AnsiConsole.WriteLine(r.FormatTable());
}

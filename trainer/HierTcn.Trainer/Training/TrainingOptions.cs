using System.Text.Json.Serialization;
using HierTcn.Trainer.Losses;
using HierTcn.Trainer.Models;

namespace HierTcn.Trainer.Training;

/// <summary>Everything a training run depends on; written to the run directory as <c>config.json</c>. Defaults are the
/// paper's (Adam, learning rate 1e-3, 32 users or queues a batch) and the project's (2 threads, CPU).</summary>
public sealed record TrainingOptions
{
    [JsonPropertyName("model")] public ModelOptions Model { get; init; } = new();
    [JsonPropertyName("loss")] public LossOptions Loss { get; init; } = new();
    /// <summary>"ids": learned item embeddings (default); "features": the dataset's fixed item vectors.</summary>
    [JsonPropertyName("items")] public string Items { get; init; } = "ids";
    /// <summary>Rows per batch: queues for hierarchical models, users for flat ones. Default 32.</summary>
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 32;
    /// <summary>Hierarchical models: "queue" (the paper's queue generator, one session per row a step, the high level
    /// truncated to one session) or "users" (whole users a step, the high level back-propagated through all of a
    /// user's sessions; HierTCN and HierGRU only). Flat models always read whole users.</summary>
    [JsonPropertyName("batching")] public string Batching { get; init; } = "queue";
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 1e-3;
    /// <summary>After every epoch whose validation Recall@10 is not the best so far, the learning rate of the epochs that
    /// follow is multiplied by this (1: a constant learning rate). The rate of an epoch depends only on the epochs
    /// before it, so a resumed run continues exactly. Default 0.3: on the full Globo split the first epoch after
    /// HierTCN's plateau at the lower rate lifts validation Recall@10 from 0.485 to 0.498 (bench/RESULTS.md).</summary>
    [JsonPropertyName("lr_decay")] public double LearningRateDecay { get; init; } = 0.3;
    /// <summary>An epoch lowers the rate (<see cref="LearningRateDecay"/>) unless its validation Recall@10 beats the best
    /// of the epochs before it by more than this; an epoch that beats it by this or less is still kept as the best. 0 here:
    /// only an epoch that is not the best lowers the rate; the CLI's default is the model kind's
    /// (<see cref="DefaultLearningRateDecayMinGain"/>).</summary>
    [JsonPropertyName("lr_decay_min_gain")] public double LearningRateDecayMinGain { get; init; }

    /// <summary>The <see cref="LearningRateDecayMinGain"/> a model kind trains with unless told otherwise. HierTCN and
    /// HierGRU: 0.003, which lowers the rate after an epoch that creeps up at the full rate; on the full Globo split,
    /// three seeds each, it is above the old rule for both (HierTCN +0.0010 / +0.0009 Recall@10 / MRR with a third of
    /// the spread, HierGRU +0.0012 / +0.0014; bench/RESULTS.md, "The CLI's own 20 epochs"). The others 0: the flat GRU,
    /// still gaining 0.002-0.005 an epoch when the rule would first lower its rate, loses 0.0086 / 0.0049 with it (seed
    /// 42), HRNN is level with it, and the flat TCN was not trained with it (bench/RESULTS.md, "The decay rule's minimum
    /// gain as the hierarchical models' default").</summary>
    public static double DefaultLearningRateDecayMinGain(ModelKind kind) => kind switch
    {
        ModelKind.HierTcn or ModelKind.HierGru => 0.003,
        _ => 0,
    };

    /// <summary>Most epochs; default 20.</summary>
    [JsonPropertyName("max_epochs")] public int MaxEpochs { get; init; } = 20;
    /// <summary>Stop after this many epochs without a better validation Recall@10; default 3 (with the decay 0.3, the
    /// third epoch at a rate can still set the best: bench/RESULTS.md's accuracy figures were all trained with 3).</summary>
    [JsonPropertyName("patience")] public int Patience { get; init; } = 3;
    /// <summary>Seeds weights, shuffling, sampling and dropout; each epoch reseeds from (seed, epoch), so a resumed run
    /// continues exactly as an uninterrupted one. Default 42.</summary>
    [JsonPropertyName("seed")] public int Seed { get; init; } = 42;
    /// <summary>libtorch intra- and inter-op threads (and ranking threads); default 2.</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; } = 2;
    /// <summary>Training threads that each run a share of every batch's rows (forward and backward) with one libtorch
    /// thread, their gradients summed into one optimizer step: the same gradient as one thread on the whole batch.
    /// Default 1: libtorch's own threads inside each operation. Only where rows are independent (CPU, no dropout, no
    /// batch norm, no sampled negatives, no whole-user batching). On the 2-core machine it is no faster than the default
    /// and needs HIERTCN_OMP_WAIT=passive (bench/RESULTS.md, issue 18).</summary>
    [JsonPropertyName("workers")] public int Workers { get; init; } = 1;
    /// <summary>"cpu" (default) or "cuda".</summary>
    [JsonPropertyName("device")] public string Device { get; init; } = "cpu";
    /// <summary>Train on the first this-many training users only (0: all); for quick runs.</summary>
    [JsonPropertyName("max_train_users")] public int MaxTrainUsers { get; init; }
    /// <summary>Clip the gradient norm to this (0, the default: no clipping).</summary>
    [JsonPropertyName("clip_norm")] public double ClipNorm { get; init; }
    /// <summary>Decoupled weight decay (AdamW's): after every optimizer step each dense weight matrix of the layers (GRU,
    /// convolution and linear weights; not the item table, biases or start states) is multiplied by 1 - lr * this.
    /// Default 0 (off).</summary>
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; }
    /// <summary>Skip validation-based early stopping (every epoch counts as the best); for timing runs.</summary>
    [JsonPropertyName("skip_validation")] public bool SkipValidation { get; init; }

    /// <summary>The learning rate of the epoch after <paramref name="epochs"/>: <see cref="LearningRate"/> times
    /// <see cref="LearningRateDecay"/> to the number of those epochs that did not beat the best before them by more than
    /// <see cref="LearningRateDecayMinGain"/> (with 0, those that were not the best; the first epoch never counts).</summary>
    public double LearningRateAfter(IEnumerable<EpochMetrics> epochs)
    {
        int lowering = 0;
        double? best = null;
        foreach (EpochMetrics e in epochs)
        {
            if (e.Score <= best + LearningRateDecayMinGain)
            {
                lowering++;
            }
            best = Math.Max(best ?? e.Score, e.Score);
        }
        return LearningRate * Math.Pow(LearningRateDecay, lowering);
    }

    /// <summary>Why rows cannot be shared between workers (the batch's function would change, or sampling would race),
    /// or null.</summary>
    public string? RowSharingRefusal() =>
        Device != "cpu" ? "--device " + Device
        : Model.Dropout > 0 ? "--dropout"
        : Model.InputDropout > 0 ? "--input-dropout"
        : Model.BatchNorm ? "--batch-norm (its statistics are the whole batch's)"
        : Loss.NeedsNegatives ? "sampled negatives"
        : Batching == "users" && ModelKinds.IsHierarchical(Model.Kind) ? "--batching users"
        : null;

    public void Validate()
    {
        Model.Validate();
        Loss.Validate();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new Data.UserInputException(message);
            }
        }
        Check(Items is "ids" or "features", $"--items {Items}: expected ids or features.");
        Check(Batching is "queue" or "users", $"--batching {Batching}: expected queue or users.");
        Check(Batching == "queue" || Model.Kind != ModelKind.Hrnn, "--batching users: HRNN's user level reads its session level; use --batching queue.");
        Check(Batching == "queue" || !Model.HighTimeGap, "--batching users: --high-time-gap trains with --batching queue only.");
        Check(!Model.RecentPopPrior || (Batching == "queue" && Loss.IsFullCrossEntropy),
            "--recent-pop-prior: trains with the full-catalogue cross-entropy and --batching queue only.");
        Check(Model.InputDropout == 0 || Model.Kind is ModelKind.HierTcn or ModelKind.HierGru,
            $"--input-dropout {Model.InputDropout}: only hiertcn and hiergru have a low level's input rows to drop.");
        Check(BatchSize >= 1, $"--batch-size {BatchSize}: must be at least 1.");
        Check(LearningRate > 0, $"--lr {LearningRate}: must be positive.");
        Check(LearningRateDecay is > 0 and <= 1, $"--lr-decay {LearningRateDecay}: must be in (0, 1].");
        Check(LearningRateDecayMinGain is >= 0 and < 1, $"--lr-decay-min-gain {LearningRateDecayMinGain}: must be in [0, 1).");
        Check(MaxEpochs >= 1, $"--epochs {MaxEpochs}: must be at least 1.");
        Check(Patience >= 1, $"--patience {Patience}: must be at least 1.");
        Check(Threads >= 1, $"--threads {Threads}: must be at least 1.");
        Check(Workers >= 1, $"--workers {Workers}: must be at least 1.");
        Check(Workers <= BatchSize, $"--workers {Workers}: at most --batch-size ({BatchSize}) workers.");
        Check(Workers <= 1 || RowSharingRefusal() is null, $"--workers {Workers}: rows cannot be shared between workers with {RowSharingRefusal()}; use --workers 1.");
        Check(MaxTrainUsers >= 0, $"--max-train-users {MaxTrainUsers}: must be >= 0.");
        Check(ClipNorm >= 0, $"--clip-norm {ClipNorm}: must be >= 0.");
        Check(WeightDecay >= 0 && WeightDecay * LearningRate < 1, $"--weight-decay {WeightDecay}: must be >= 0 and below 1 / --lr.");
    }
}

using System.Text.Json.Serialization;

namespace HierTcn.Trainer.Models;

/// <summary>Model sizes and regularization. Defaults are the paper's (section 4.2.3); <see cref="ForKind"/> fills in
/// the per-model defaults: each model's best configuration of the same search (bench/RESULTS.md, "The baselines'
/// own configurations"), the paper's sizes otherwise.</summary>
public sealed record ModelOptions
{
    [JsonPropertyName("kind")] public ModelKind Kind { get; init; } = ModelKind.HierTcn;
    /// <summary>Item embedding size d; also the user embedding's size (tied scoring, eq. 12). Default 128.</summary>
    [JsonPropertyName("item_dim")] public int ItemDim { get; init; } = 128;
    /// <summary>High-level (user) GRU layers; default 4, the paper's (every hierarchical model through
    /// <see cref="ForKind"/>: 1).</summary>
    [JsonPropertyName("high_layers")] public int HighLayers { get; init; } = 4;
    /// <summary>High-level GRU hidden size; default 128.</summary>
    [JsonPropertyName("high_hidden")] public int HighHidden { get; init; } = 128;
    /// <summary>Low-level GRU layers (HierGRU, HRNN's session GRU) or flat GRU layers; default 4, the paper's (through
    /// <see cref="ForKind"/>: HierGRU and HRNN 1, the flat GRU 2).</summary>
    [JsonPropertyName("low_layers")] public int LowLayers { get; init; } = 4;
    /// <summary>Low-level (or flat) GRU hidden size; default 128 (through <see cref="ForKind"/>: HierGRU 256).</summary>
    [JsonPropertyName("low_hidden")] public int LowHidden { get; init; } = 128;
    /// <summary>TCN blocks (2 convolutions each, dilation 2^i); default 4, the paper's (through <see cref="ForKind"/>:
    /// HierTCN 1, the flat TCN 6).</summary>
    [JsonPropertyName("tcn_blocks")] public int TcnBlocks { get; init; } = 4;
    /// <summary>TCN filters per convolution; default 128.</summary>
    [JsonPropertyName("tcn_channels")] public int TcnChannels { get; init; } = 128;
    /// <summary>TCN kernel size; default 5, the paper's (through <see cref="ForKind"/>: HierTCN 3).</summary>
    [JsonPropertyName("tcn_kernel")] public int TcnKernel { get; init; } = 5;
    /// <summary>Gated TCN convolutions (conv(x) * sigmoid(gate(x)) instead of relu(conv(x))); default off.</summary>
    [JsonPropertyName("tcn_gate")] public bool TcnGate { get; init; }
    /// <summary>HierTCN only: every low-level input row also carries the mean of the session's input item vectors up to
    /// it (the start token and the items before the row), a summary of the session that is the same function at every
    /// position, where the convolution's taps are a different weight for each distance back. Default off (through
    /// <see cref="ForKind"/>: HierTCN on); exported
    /// (exporter/CONTRACT.md: the row-step buffers carry the running sum and count).</summary>
    [JsonPropertyName("tcn_session_mean")] public bool TcnSessionMean { get; init; }
    /// <summary>HierTCN only: the first convolution reads the row's context (the high-level state and, with
    /// <see cref="TcnSessionMean"/>, the session mean) at the row's own tap only, and the previous items at every tap;
    /// otherwise the same context, repeated in every row, is read through every tap. The older taps' context weights
    /// stay zero, so the saved convolution is an ordinary one and the exported graphs are unchanged. Default off.</summary>
    [JsonPropertyName("tcn_context_newest_tap")] public bool TcnContextNewestTap { get; init; }
    /// <summary>Dropout rate (GRU: candidate activation only; TCN: after each convolution); default 0 (off; through
    /// <see cref="ForKind"/>: HierTCN 0.3, HierGRU, HRNN, GRU and TCN 0.2).</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    /// <summary>Hierarchical models only: the high-level (user) GRU's dropout on its candidate activation, when it should
    /// differ from <see cref="Dropout"/>; null (the default): <see cref="Dropout"/>.</summary>
    [JsonPropertyName("high_dropout")] public double? HighDropout { get; init; }
    /// <summary>The high-level GRU's dropout: <see cref="HighDropout"/>, or <see cref="Dropout"/> when that is unset.</summary>
    [JsonIgnore] public double HighLevelDropout => HighDropout ?? Dropout;
    /// <summary>HierTCN and HierGRU: dropout on the low level's input rows (previous item vector, high-level state and,
    /// with <see cref="TcnSessionMean"/>, the session mean) while training; nothing changes at inference. Default 0.</summary>
    [JsonPropertyName("input_dropout")] public double InputDropout { get; init; }
    /// <summary>HierTCN and HierGRU: the high-level GRU also reads the time from the end of the session it folds in to the
    /// start of the next (the paper's Figure 4: the gap matters), as log(1 + minutes) / 10. Default off; trains with the
    /// queue generator only, and the exporter refuses it (serving does not feed the gap yet).</summary>
    [JsonPropertyName("high_time_gap")] public bool HighTimeGap { get; init; }
    /// <summary>HierTCN and HierGRU: every score also gets w log(1 + c_i), c_i the training users' clicks of item i in
    /// the 15 minutes before the event (<c>recentpop</c>'s counts), w learned (<c>recent_pop_weight</c>). Full-catalogue
    /// cross-entropy only; not exported (serving keeps no live counts yet). Default off.</summary>
    [JsonPropertyName("recent_pop_prior")] public bool RecentPopPrior { get; init; }
    /// <summary>Masked batch normalization with per-time-step statistics in the TCN; default off.</summary>
    [JsonPropertyName("batch_norm")] public bool BatchNorm { get; init; }
    /// <summary>Layer normalization over the channels of every TCN convolution's output (before its activation): no
    /// running statistics, so training and evaluation compute the same function. Default off; the exporter refuses it.</summary>
    [JsonPropertyName("layer_norm")] public bool LayerNorm { get; init; }
    /// <summary>HierTCN and HierGRU: the user vector also gets a linear map of the high-level state (<c>high_skip</c>, no
    /// bias), u = output(low level) + W h: a path from the high level to the scores that no convolution, relu or dropout
    /// masks. HierTCN's default; off for the others.</summary>
    [JsonPropertyName("high_skip")] public bool HighSkip { get; init; }
    /// <summary>HierTCN and HierGRU: the user vector also gets a linear map of the row's own input item vector (the
    /// previous item, or the start token) (<c>item_skip</c>, d x d, no bias), u_t = output(low level)_t + W x_t: with the
    /// dot-product score, a learned item-to-item transition term x_t^T W^T e_i beside what the low level makes of the
    /// session. HierTCN's and HierGRU's default.</summary>
    [JsonPropertyName("item_skip")] public bool ItemSkip { get; init; }
    /// <summary>HierTCN and HierGRU: the user vector also gets a linear map of the running mean of the session's input
    /// rows up to the row (<c>mean_skip</c>, d x d, no bias), u_t = ... + W mean(x_0..x_t), x_0 the start token: a
    /// bag-of-items term beside what the low level makes of the session. HierTCN needs <see cref="TcnSessionMean"/> with
    /// it (the incremental serving graph keeps the running mean only then). HierTCN's and HierGRU's default.</summary>
    [JsonPropertyName("mean_skip")] public bool MeanSkip { get; init; }
    /// <summary>A learned per-item score bias: score(u, i) = u . e_i + b_i. Default off.</summary>
    [JsonPropertyName("item_bias")] public bool ItemBias { get; init; }
    /// <summary>Feature setting only: learn a linear projection of the fixed item vectors to <see cref="ItemDim"/>.</summary>
    [JsonPropertyName("project_features")] public bool ProjectFeatures { get; init; } = true;

    /// <summary>The paper's sizes for <paramref name="kind"/>.</summary>
    public static ModelOptions ForKind(ModelKind kind) => kind switch
    {
        // 2 x 128 (the reference's size): above the paper's 4 x 200 in the search, at 0.42 x its parameters.
        // The flat GRU with dropout 0.2 on its candidate activations: three seeds, 20 epochs, test 0.4937 / 0.2477 against
        // 0.4895 / 0.2444 without, every seed above every seed without (bench/RESULTS.md, "The flat GRU with dropout over
        // three seeds").
        ModelKind.Gru => new ModelOptions { Kind = kind, LowLayers = 2, LowHidden = 128, Dropout = 0.2 },
        // The flat TCN with the same dropout: three seeds, 12 epochs, 0.4815 / 0.2367 against 0.4736 / 0.2331 for its one seed
        // without (bench/RESULTS.md, "The flat GRU with dropout over three seeds").
        ModelKind.Tcn => new ModelOptions { Kind = kind, TcnBlocks = 6, Dropout = 0.2 },
        // One high-level layer: better than the paper's four on Globo (bench/RESULTS.md, the ablation table). One TCN block
        // of kernel 3 (receptive field 5 rows): level with the paper's 4 blocks of kernel 5 over three seeds, and 2.8x
        // faster to train (bench/RESULTS.md, "HierTCN's TCN size over three seeds").
        // Dropout after each convolution: 0.2 gave +0.007 Recall@10 and +0.005 MRR over three seeds on the whole split, where
        // the subset's four epochs showed nothing (bench/RESULTS.md, "A sweep on the lent GPU, and dropout on the whole split").
        // The running session mean in every row ("Where HierTCN loses to HierGRU") with dropout 0.3, since with the mean
        // the model fits its training users better than HierGRU and generalises worse: three seeds, test Recall@10 / MRR
        // 0.5058 / 0.2535 against 0.5020 / 0.2499 with neither ("HierTCN fits its training users better than HierGRU").
        // The high-level skip, u = output(tcn) + W h ("Layer norm, gates, a lower rate, and a path from the high level to
        // the scores"): three seeds, test Recall@10 / MRR 0.5081 / 0.2552 against 0.5058 / 0.2535, every seed above its own.
        // The item and mean skips, u += W x_t + W' mean(x_0..x_t) ("Linear paths from the session's items to the scores"):
        // three seeds, test 0.5132 / 0.2579 against 0.5092 / 0.2561, every seed above its own on both.
        ModelKind.HierTcn => new ModelOptions
        {
            Kind = kind,
            HighLayers = 1,
            TcnBlocks = 1,
            TcnKernel = 3,
            TcnSessionMean = true,
            Dropout = 0.3,
            HighSkip = true,
            ItemSkip = true,
            MeanSkip = true,
        },
        // One layer at each level: the best of 1/4 x 1/2/4 (HierGRU) and 1/2/4 at both levels (HRNN, whose session GRU
        // starts from the user GRU's state, so the counts must match) in the search.
        // HierGRU with dropout 0.2 on its GRUs' candidate activations, as HierTCN: three seeds on the whole split, test
        // 0.5080 / 0.2550 against 0.4979 / 0.2476 without (bench/RESULTS.md, "A sweep on the lent GPU, and dropout on the whole split"); a baseline
        // left without what helps HierTCN would be a weakened one.
        // Its low-level GRU at 256: three seeds 0.5106 / 0.2558 against 0.5080 / 0.2550 at 128, every seed above on both
        // (bench/RESULTS.md, "Weight decay, the context at one tap, the block's last relu and 256 units").
        // The item and mean skips, as HierTCN (a baseline left without what helps HierTCN would be a weakened one): three
        // seeds, test 0.5135 / 0.2580 against 0.5118 / 0.2572, every seed above its own on both (same section).
        ModelKind.HierGru => new ModelOptions { Kind = kind, HighLayers = 1, LowLayers = 1, LowHidden = 256, Dropout = 0.2, ItemSkip = true, MeanSkip = true },
        // HRNN with the same dropout: three seeds on the whole split, test 0.4985 / 0.2486 against 0.4923 / 0.2448 without,
        // every seed above its own without (bench/RESULTS.md, "HRNN with dropout over three seeds").
        ModelKind.Hrnn => new ModelOptions { Kind = kind, HighLayers = 1, LowLayers = 1, Dropout = 0.2 },
        _ => new ModelOptions { Kind = kind },
    };

    /// <summary>Throws <see cref="Data.UserInputException"/> naming the first bad size.</summary>
    public void Validate()
    {
        static void Positive(int v, string name)
        {
            if (v < 1)
            {
                throw new Data.UserInputException($"model option {name} = {v}: must be at least 1.");
            }
        }
        Positive(ItemDim, "item_dim");
        Positive(HighLayers, "high_layers");
        Positive(HighHidden, "high_hidden");
        Positive(LowLayers, "low_layers");
        Positive(LowHidden, "low_hidden");
        Positive(TcnBlocks, "tcn_blocks");
        Positive(TcnChannels, "tcn_channels");
        Positive(TcnKernel, "tcn_kernel");
        if (Dropout is < 0 or >= 1)
        {
            throw new Data.UserInputException($"model option dropout = {Dropout}: must be in [0, 1).");
        }
        if (HighDropout is double high)
        {
            if (high is < 0 or >= 1)
            {
                throw new Data.UserInputException($"model option high_dropout = {high}: must be in [0, 1).");
            }
            if (Kind is not (ModelKind.HierTcn or ModelKind.HierGru or ModelKind.Hrnn))
            {
                throw new Data.UserInputException($"model option high_dropout: {ModelKinds.Name(Kind)} has no high level; only hiertcn, hiergru and hrnn do.");
            }
        }
        if (RecentPopPrior && Kind is not (ModelKind.HierTcn or ModelKind.HierGru))
        {
            throw new Data.UserInputException($"model option recent_pop_prior: hiertcn and hiergru only, not {ModelKinds.Name(Kind)}.");
        }
        if (HighTimeGap && Kind is not (ModelKind.HierTcn or ModelKind.HierGru))
        {
            throw new Data.UserInputException($"model option high_time_gap: only hiertcn and hiergru fold a session into the high level with a time, not {ModelKinds.Name(Kind)}.");
        }
        if (TcnContextNewestTap && Kind != ModelKind.HierTcn)
        {
            throw new Data.UserInputException($"model option tcn_context_newest_tap: only hiertcn has a context in its TCN rows, not {ModelKinds.Name(Kind)}.");
        }
        if (HighSkip && Kind is not (ModelKind.HierTcn or ModelKind.HierGru))
        {
            throw new Data.UserInputException($"model option high_skip: hiertcn and hiergru only, not {ModelKinds.Name(Kind)}.");
        }
        if (ItemSkip && Kind is not (ModelKind.HierTcn or ModelKind.HierGru))
        {
            throw new Data.UserInputException($"model option item_skip: hiertcn and hiergru only, not {ModelKinds.Name(Kind)}.");
        }
        if (MeanSkip && Kind is not (ModelKind.HierTcn or ModelKind.HierGru))
        {
            throw new Data.UserInputException($"model option mean_skip: hiertcn and hiergru only, not {ModelKinds.Name(Kind)}.");
        }
        if (MeanSkip && Kind == ModelKind.HierTcn && !TcnSessionMean)
        {
            throw new Data.UserInputException("model option mean_skip: hiertcn needs tcn_session_mean with it (its incremental serving graph keeps the session's running mean only then).");
        }
        if (LayerNorm && BatchNorm)
        {
            throw new Data.UserInputException("model options layer_norm and batch_norm: one normalization, not both.");
        }
        if (LayerNorm && Kind is not (ModelKind.HierTcn or ModelKind.Tcn))
        {
            throw new Data.UserInputException($"model option layer_norm: only the TCNs (hiertcn, tcn) have convolutions to normalize, not {ModelKinds.Name(Kind)}.");
        }
        if (InputDropout is < 0 or >= 1)
        {
            throw new Data.UserInputException($"model option input_dropout = {InputDropout}: must be in [0, 1).");
        }
    }
}

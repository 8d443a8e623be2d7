using HierTcn.Exporter.Internal;
using HierTcn.Formats.Bundles;
using Tensors = HierTcn.Formats.Bundles.BundleSignatures.Tensors;

namespace HierTcn.Exporter;

/// <summary>
/// Builds the serving graphs of <see cref="BundleSignatures"/> from a model's weights (CONTRACT.md names) as ONNX
/// files (opset 17, IR 8): weights are initializers, B and T are dynamic. Each method returns the file's bytes. Tensor
/// names come from <see cref="BundleSignatures.Tensors"/>, never literals.
/// </summary>
public static class StepGraphs
{
    /// <summary>The learned weight w of the recent-popularity prior (<c>--recent-pop-prior</c>), [1].</summary>
    public const string RecentPopWeight = "recent_pop_weight";

    /// <summary>Sizes of a model of <paramref name="modelType"/>, read from its weights and checked for consistency.
    /// <paramref name="itemFeatures"/> says the model was trained in the feature setting; its feature dimension is then
    /// <c>item_projection.weight</c>'s input width, or d when it used the features as they are. Weights with an
    /// <c>item_projection</c> are a feature model whatever <paramref name="itemFeatures"/> says.</summary>
    /// <exception cref="InvalidDataException">The weights do not fit the model type or the item setting.</exception>
    public static ModelDims Dims(string modelType, ModelWeights w, bool itemFeatures = false)
    {
        var dims = ArchitectureDims(modelType, w);
        if (w.Contains(RecentPopWeight))
        {
            // Trained with --recent-pop-prior: the score graph adds the prior (BundleManifest.RecentPopPrior).
            Expect(modelType is ModelTypes.HierTcn or ModelTypes.HierGru, $"a {modelType} model has no {RecentPopWeight}");
            w.Get(RecentPopWeight, 1);
            dims = dims with { RecentPop = true };
        }
        if (w.Contains("item_projection.weight"))
        {
            return dims with { FeatureDim = w.Get("item_projection.weight", dims.ItemDim, -1).Shape[1] };
        }
        if (itemFeatures)
        {
            Expect(!w.Contains("item_embedding.weight"), "the weights have a learned item_embedding, so the model was not trained on item features");
            return dims with { FeatureDim = dims.ItemDim };
        }
        return dims;
    }

    private static ModelDims ArchitectureDims(string modelType, ModelWeights w)
    {
        int d = w.Get("output.weight", -1, -1).Shape[0];
        switch (modelType)
        {
            case ModelTypes.HierTcn:
                {
                    var high = GruShape.FromWeights(w, "high_gru");
                    var tcn = TcnShape.FromWeights(w);
                    bool? gap = HighInputGap(high, d);
                    // With --tcn-session-mean each row also carries the session's running item mean (d more channels).
                    bool mean = tcn.InputChannels == 2 * d + high.Hidden;
                    Expect(mean || tcn.InputChannels == d + high.Hidden,
                        $"tcn input channels {tcn.InputChannels} must be item dim {d} + high-level hidden {high.Hidden} (or 2 x {d} + {high.Hidden} with the session mean)");
                    return mean
                        ? new ModelDims(d, high.Layers, high.Hidden, tcn.Channels, tcn.Kernel, tcn.Blocks, ReceptiveField: null, SessionMean: true, TimeGap: gap)
                        : new ModelDims(d, high.Layers, high.Hidden, tcn.Channels, tcn.Kernel, tcn.Blocks, tcn.ReceptiveField, TimeGap: gap);
                }
            case ModelTypes.HierGru:
                {
                    var high = GruShape.FromWeights(w, "high_gru");
                    var low = GruShape.FromWeights(w, "low_gru");
                    bool? gap = HighInputGap(high, d);
                    Expect(low.Input == d + high.Hidden, $"low_gru input size {low.Input} must be item dim {d} + high-level hidden {high.Hidden}");
                    return new ModelDims(d, high.Layers, high.Hidden, TimeGap: gap);
                }
            case ModelTypes.Hrnn:
                {
                    var user = GruShape.FromWeights(w, "user_gru");
                    var session = GruShape.FromWeights(w, "session_gru");
                    Expect(session.Input == d, $"session_gru input size {session.Input} must equal the item dimension {d}");
                    Expect(user.Input == session.Hidden, $"user_gru input size {user.Input} must equal session_gru hidden {session.Hidden}");
                    return new ModelDims(d, user.Layers, user.Hidden);
                }
            case ModelTypes.Gru:
                {
                    var gru = GruShape.FromWeights(w, "gru");
                    Expect(gru.Input == d + 1, $"gru input size {gru.Input} must be item dim {d} + 1 (the session-start flag)");
                    return new ModelDims(d, gru.Layers, gru.Hidden);
                }
            case ModelTypes.Tcn:
                {
                    var tcn = TcnShape.FromWeights(w);
                    Expect(tcn.InputChannels == d + 1, $"tcn input channels {tcn.InputChannels} must be item dim {d} + 1 (the session-start flag)");
                    return new ModelDims(d, 1, 1, tcn.Channels, tcn.Kernel, tcn.Blocks, tcn.ReceptiveField);
                }
            default:
                throw new InvalidDataException($"unknown model type \"{modelType}\"; known: {string.Join(", ", ModelTypes.All)}");
        }
    }

    /// <summary>The high level's input: the session mean (d), or the mean and the time gap (d + 1, trained with
    /// <c>--high-time-gap</c>: true); anything else is refused.</summary>
    private static bool? HighInputGap(GruShape high, int d)
    {
        Expect(high.Input == d || high.Input == d + 1,
            $"high_gru input size {high.Input} must equal the item dimension {d} (or {d} + 1 with the time between sessions)");
        return high.Input == d + 1 ? true : null;
    }

    /// <summary>Every graph of the model by role (<see cref="GraphRoles"/>); roles that share a file share bytes.
    /// <paramref name="itemFeatures"/> as for <see cref="Dims"/>.</summary>
    public static IReadOnlyDictionary<string, byte[]> Build(string modelType, ModelWeights w, bool itemFeatures = false)
    {
        var dims = Dims(modelType, w, itemFeatures);
        var specs = BundleSignatures.Graphs(modelType, dims);
        var built = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var byFile = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (role, spec) in specs)
        {
            if (!byFile.TryGetValue(spec.File, out var bytes))
            {
                bytes = (modelType, role) switch
                {
                    (_, GraphRoles.Score) => ScoreTopK(spec),
                    (_, GraphRoles.Project) => ItemProjection(w, dims, spec),
                    (ModelTypes.HierTcn, GraphRoles.Embed) => TcnStep(w, dims, spec),
                    (ModelTypes.HierTcn, GraphRoles.EmbedStep) => TcnRowStep(w, dims, spec),
                    (ModelTypes.HierGru, GraphRoles.Embed) => LowGruStep(w, dims, spec),
                    (ModelTypes.HierTcn or ModelTypes.HierGru, GraphRoles.Update) => GruStep(w, dims, spec),
                    (ModelTypes.Hrnn, GraphRoles.Embed) => HrnnSessionStep(w, dims, spec),
                    (ModelTypes.Hrnn, GraphRoles.Update) => HrnnUserStep(w, dims, spec),
                    (ModelTypes.Gru, _) => FlatGruStep(w, dims, spec),
                    (ModelTypes.Tcn, GraphRoles.Embed) => FlatTcnStep(w, dims, spec),
                    _ => throw new InvalidOperationException($"no builder for {modelType} {role}"),
                };
                byFile[spec.File] = bytes;
            }
            built[role] = bytes;
        }
        return built;
    }

    /// <summary>HierTCN/HierGRU session close: state [B,L,H], session_mean [B,d] -> next_state = high_gru(state, mean);
    /// with <see cref="ModelDims.TimeGap"/> the GRU reads [mean, log(1 + max(gap_minutes, 0)) / 10] (the trainer's
    /// <c>HighInput</c>).</summary>
    internal static byte[] GruStep(ModelWeights w, ModelDims dims, GraphSpec spec)
    {
        var g = Begin("gru_step", spec);
        string input = Tensors.SessionMean;
        int width = dims.ItemDim;
        if (dims.TimeGap == true)
        {
            string zero = g.Initializer("gap_zero", [0f]);
            string one = g.Initializer("gap_one", [1f]);
            string ten = g.Initializer("gap_ten", [10f]);
            string feature = g.Op("Div", [g.Op("Log", [g.Op("Add", [g.Op("Max", [Tensors.GapMinutes, zero]), one])]), ten]);
            input = g.Op("Concat", [Tensors.SessionMean, g.Op("Unsqueeze", [feature, g.Int64s("gap_axes", 1)])], OnnxGraph.Int("axis", 1));
            width++;
        }
        var (next, _) = Layers.GruStackStep(g, w, "high_gru", Tensors.State, input, width, dims.Layers, dims.Hidden);
        g.Output(next, spec.Outputs[0]);
        return g.ToBytes("HierTCN high-level update (eq. 10): the high-level GRU stack applied to the mean of the closed session's item embeddings.");
    }

    /// <summary>HierTCN embed: the TCN over [items, top layer of state] rows, output head at lengths - 1.</summary>
    internal static byte[] TcnStep(ModelWeights w, ModelDims dims, GraphSpec spec)
    {
        var g = Begin("tcn_step", spec);
        string top = Layers.Layer(g, Tensors.State, dims.Layers - 1);
        List<string> parts = [Tensors.Items, Layers.RepeatOverTime(g, top, Tensors.Items, dims.Hidden)];
        string? means = dims.SessionMean == true ? Layers.RunningMean(g, Tensors.Items) : null;
        if (means is not null)
        {
            parts.Add(means);
        }
        string x = g.Op("Concat", [.. parts], OnnxGraph.Int("axis", 2));
        string seq = Layers.Tcn(g, w, g.Op("Transpose", [x], OnnxGraph.Ints("perm", 0, 2, 1)), TcnShape.FromWeights(w));
        string last = Layers.LastValid(g, seq, Tensors.Lengths, dims.Channels!.Value);
        string u = WithHighSkip(g, w, dims, Layers.Linear(g, w, "output", last, dims.ItemDim, dims.Channels.Value), top);
        u = WithItemSkip(g, w, dims, u, () => LastItem(g, dims));
        g.Output(WithMeanSkip(g, w, dims, u, () => LastRow(g, means ?? Layers.RunningMean(g, Tensors.Items), dims)), spec.Outputs[0]);
        return g.ToBytes("HierTCN low level (eq. 11, full connection): causal dilated TCN over the session rows, each concatenated with the top high-level state (and, with the session mean, the mean of the rows up to it); user embedding at each row's last valid position.");
    }

    /// <summary>HierTCN embed, one row at a time: the row [item, top layer of state] through the TCN with each causal
    /// convolution reading its buffer of the last (K-1) x dilation inputs (zeros at a session's start, as the full
    /// graph's left padding), output head on the row; the buffers advanced by the row.</summary>
    internal static byte[] TcnRowStep(ModelWeights w, ModelDims dims, GraphSpec spec)
    {
        var g = Begin("tcn_row_step", spec);
        string top = Layers.Layer(g, Tensors.State, dims.Layers - 1);
        string x, buffers = Tensors.Buffers;
        string? sum = null, count = null, mean = null;
        if (dims.SessionMean == true)
        {
            // The buffers end with the session's running row sum [B, d] and row count [B, 1] (zeros at its start).
            long convolutions = BundleSignatures.TcnBufferSize(dims) - dims.ItemDim - 1;
            buffers = g.Op("Slice", [Tensors.Buffers, g.Int64s("starts", 0), g.Int64s("ends", convolutions), g.Int64s("axes", 1)]);
            sum = g.Op("Add", [g.Op("Slice", [Tensors.Buffers, g.Int64s("starts", convolutions), g.Int64s("ends", convolutions + dims.ItemDim), g.Int64s("axes", 1)]), Tensors.Item]);
            count = g.Op("Add", [g.Op("Slice", [Tensors.Buffers, g.Int64s("starts", convolutions + dims.ItemDim), g.Int64s("ends", convolutions + dims.ItemDim + 1), g.Int64s("axes", 1)]),
                g.Initializer("one_row", [1f], 1)]);
            mean = g.Op("Div", [sum, count]);
            x = g.Op("Concat", [Tensors.Item, top, mean], OnnxGraph.Int("axis", 1));
        }
        else
        {
            x = g.Op("Concat", [Tensors.Item, top], OnnxGraph.Int("axis", 1));
        }
        var (row, next) = Layers.TcnRow(g, w, g.Op("Unsqueeze", [x, g.Int64s("axes", 2)]), buffers, TcnShape.FromWeights(w));
        string u = WithHighSkip(g, w, dims, Layers.Linear(g, w, "output", row, dims.ItemDim, dims.Channels!.Value), top);
        u = WithItemSkip(g, w, dims, u, () => Tensors.Item);
        g.Output(WithMeanSkip(g, w, dims, u, () => mean ?? throw new InvalidOperationException("mean_skip without the session mean: the trainer refuses it.")),
            spec.Outputs[0]);
        g.Output(sum is null ? next : g.Op("Concat", [next, sum, count!], OnnxGraph.Int("axis", 1)), spec.Outputs[1]);
        return g.ToBytes("HierTCN low level, incremental: one new session row (the start token or an item, concatenated with the top high-level state) through the causal TCN, each convolution reading its buffer of the last (K-1) x dilation inputs; the user embedding at that row and the advanced buffers (equal to tcn_step on the whole session).");
    }

    /// <summary>HierTCN's and HierGRU's user vector u plus, where the weights have <c>high_skip</c> (<c>--high-skip</c>), the
    /// high-level top state's linear map W h (no bias): the trainer's <c>output(tcn) + high_skip(top)</c>.</summary>
    private static string WithHighSkip(OnnxGraph g, ModelWeights w, ModelDims dims, string u, string top) =>
        w.Contains("high_skip.weight") ? g.Op("Add", [u, Layers.Linear(g, w, "high_skip", top, dims.ItemDim, dims.Hidden)]) : u;

    /// <summary>u plus, where the weights have <c>item_skip</c> (<c>--item-skip</c>), the linear map W x (no bias) of the
    /// row's own input item vector x (the previous item, or the start token): the trainer's <c>+ item_skip(previous)</c>.</summary>
    private static string WithItemSkip(OnnxGraph g, ModelWeights w, ModelDims dims, string u, Func<string> row) =>
        w.Contains("item_skip.weight") ? g.Op("Add", [u, Layers.Linear(g, w, "item_skip", row(), dims.ItemDim, dims.ItemDim)]) : u;

    /// <summary>u plus, where the weights have <c>mean_skip</c> (<c>--mean-skip</c>), the linear map W m (no bias) of the
    /// running mean m of the session's input rows up to the row: the trainer's <c>+ mean_skip(RunningMean(previous))</c>.</summary>
    private static string WithMeanSkip(OnnxGraph g, ModelWeights w, ModelDims dims, string u, Func<string> mean) =>
        w.Contains("mean_skip.weight") ? g.Op("Add", [u, Layers.Linear(g, w, "mean_skip", mean(), dims.ItemDim, dims.ItemDim)]) : u;

    /// <summary>The items input [B, T, d] at each row's last valid step -> [B, d].</summary>
    private static string LastItem(OnnxGraph g, ModelDims dims) => LastRow(g, Tensors.Items, dims);

    /// <summary>rows [B, T, d] at each row's last valid step -> [B, d].</summary>
    private static string LastRow(OnnxGraph g, string rows, ModelDims dims) =>
        Layers.LastValid(g, g.Op("Transpose", [rows], OnnxGraph.Ints("perm", 0, 2, 1)), Tensors.Lengths, dims.ItemDim);

    /// <summary>HierGRU embed: the low GRU stack (zero start) over [items, top layer of state], head on its last state.</summary>
    internal static byte[] LowGruStep(ModelWeights w, ModelDims dims, GraphSpec spec)
    {
        var g = Begin("low_gru_step", spec);
        var low = GruShape.FromWeights(w, "low_gru");
        string top = Layers.Layer(g, Tensors.State, dims.Layers - 1);
        string x = g.Op("Concat", [Tensors.Items, Layers.RepeatOverTime(g, top, Tensors.Items, dims.Hidden)], OnnxGraph.Int("axis", 2));
        var finals = Layers.GruStackSequence(g, w, "low_gru", x, Tensors.Lengths, low.Input, low.Layers, low.Hidden, null);
        string u = WithHighSkip(g, w, dims, Layers.Linear(g, w, "output", finals[^1], dims.ItemDim, low.Hidden), top);
        u = WithItemSkip(g, w, dims, u, () => LastItem(g, dims));
        g.Output(WithMeanSkip(g, w, dims, u, () => LastRow(g, Layers.RunningMean(g, Tensors.Items), dims)), spec.Outputs[0]);
        return g.ToBytes("HierGRU low level: GRU stack over the session rows, each concatenated with the top high-level state; user embedding from its state at each row's last valid position.");
    }

    /// <summary>Flat GRU, one event: state [B,L,H], item [B,d], new_session [B] -> next_state and the user embedding
    /// of the new top state.</summary>
    internal static byte[] FlatGruStep(ModelWeights w, ModelDims dims, GraphSpec spec)
    {
        var g = Begin("flat_gru_step", spec);
        string x = g.Op("Concat", [Tensors.Item, g.Op("Unsqueeze", [Tensors.NewSession, g.Int64s("axes", 1)])], OnnxGraph.Int("axis", 1));
        var (next, top) = Layers.GruStackStep(g, w, "gru", Tensors.State, x, dims.ItemDim + 1, dims.Layers, dims.Hidden);
        g.Output(next, spec.Outputs[0]);
        g.Output(Layers.Linear(g, w, "output", top, dims.ItemDim, dims.Hidden), spec.Outputs[1]);
        return g.ToBytes("Flat GRU over the user's whole sequence: one step on concat(previous item embedding, session-start flag of the event to predict).");
    }

    /// <summary>Flat TCN: the TCN over [items, new_session] rows, output head at lengths - 1.</summary>
    internal static byte[] FlatTcnStep(ModelWeights w, ModelDims dims, GraphSpec spec)
    {
        var g = Begin("flat_tcn_step", spec);
        string x = g.Op("Concat", [Tensors.Items, g.Op("Unsqueeze", [Tensors.NewSession, g.Int64s("axes", 2)])], OnnxGraph.Int("axis", 2));
        string seq = Layers.Tcn(g, w, g.Op("Transpose", [x], OnnxGraph.Ints("perm", 0, 2, 1)), TcnShape.FromWeights(w));
        string last = Layers.LastValid(g, seq, Tensors.Lengths, dims.Channels!.Value);
        g.Output(Layers.Linear(g, w, "output", last, dims.ItemDim, dims.Channels.Value), spec.Outputs[0]);
        return g.ToBytes("Flat TCN over the user's recent rows: concat(previous item embedding, session-start flag); user embedding at each row's last valid position.");
    }

    /// <summary>HRNN embed: the session GRU from tanh(session_init(state)) per layer over the session rows, head on its
    /// top state at each row's last valid position.</summary>
    internal static byte[] HrnnSessionStep(ModelWeights w, ModelDims dims, GraphSpec spec)
    {
        var g = Begin("session_gru_step", spec);
        var finals = HrnnSession(g, w, dims);
        var session = GruShape.FromWeights(w, "session_gru");
        g.Output(Layers.Linear(g, w, "output", finals[^1], dims.ItemDim, session.Hidden), spec.Outputs[0]);
        return g.ToBytes("HRNN session level: session GRU started from tanh(session_init(user state)) per layer over the session rows; user embedding at each row's last valid position.");
    }

    /// <summary>HRNN update: the user GRU stack stepped with the session GRU's top state at each row's last valid row
    /// (rows [start, x_1 .. x_{n-1}], lengths n, as the trainer does).</summary>
    internal static byte[] HrnnUserStep(ModelWeights w, ModelDims dims, GraphSpec spec)
    {
        var g = Begin("user_gru_step", spec);
        var finals = HrnnSession(g, w, dims);
        var session = GruShape.FromWeights(w, "session_gru");
        var (next, _) = Layers.GruStackStep(g, w, "user_gru", Tensors.State, finals[^1], session.Hidden, dims.Layers, dims.Hidden);
        g.Output(next, spec.Outputs[0]);
        return g.ToBytes("HRNN user level: the user GRU stack stepped with the session GRU's top state at the last valid row; the rows are the ones the session GRU read: the start token, then x_1 .. x_{n-1} (CONTRACT.md).");
    }

    private static string[] HrnnSession(OnnxGraph g, ModelWeights w, ModelDims dims)
    {
        var session = GruShape.FromWeights(w, "session_gru");
        if (session.Layers != dims.Layers)
        {
            throw new InvalidDataException($"hrnn: session_gru has {session.Layers} layers, user_gru {dims.Layers}; they must match");
        }
        string starts = g.Op("Tanh", [Layers.Linear(g, w, "session_init", Tensors.State, session.Hidden, dims.Hidden)]); // [B, L, H_session]
        var initial = Enumerable.Range(0, dims.Layers).Select(k => Layers.Layer(g, starts, k)).ToArray();
        return Layers.GruStackSequence(g, w, "session_gru", Tensors.Items, Tensors.Lengths, dims.ItemDim, session.Layers, session.Hidden, initial);
    }

    /// <summary>Scores u . e_i for every row of the item matrix (eq. 12), plus item_prior when the spec reads one (a
    /// <see cref="ModelDims.RecentPop"/> model: w log(1 + c_i), computed by the service), and keeps the k best, best first.</summary>
    internal static byte[] ScoreTopK(GraphSpec spec)
    {
        var g = Begin("score_topk", spec);
        string scores = g.Op("MatMul", [Tensors.UserEmbedding, g.Op("Transpose", [Tensors.ItemMatrix], OnnxGraph.Ints("perm", 1, 0))]);
        if (spec.Inputs.Any(i => i.Name == Tensors.ItemPrior))
        {
            scores = g.Op("Add", [scores, Tensors.ItemPrior]);
        }
        var top = g.Ops("TopK", [scores, Tensors.K], 2, OnnxGraph.Int("axis", 1), OnnxGraph.Int("largest", 1), OnnxGraph.Int("sorted", 1));
        g.Output(top[0], spec.Outputs[0]);
        g.Output(top[1], spec.Outputs[1]);
        return g.ToBytes("Scoring (eq. 12): user embeddings times the item matrix (an item snapshot), top k per row.");
    }

    /// <summary>Feature setting: features [B, d_f] -> item vectors [B, d], <c>item_projection</c> (x W^T + b) when the
    /// model has one, else the features as they are (Identity). What the trainer's item layer computes for every item.</summary>
    internal static byte[] ItemProjection(ModelWeights w, ModelDims dims, GraphSpec spec)
    {
        var g = Begin("item_projection", spec);
        int featureDim = dims.FeatureDim ?? throw new InvalidOperationException("item projection without a feature dimension");
        string vectors = w.Contains("item_projection.weight")
            ? Layers.Linear(g, w, "item_projection", Tensors.Features, dims.ItemDim, featureDim)
            : g.Op("Identity", [Tensors.Features]);
        g.Output(vectors, spec.Outputs[0]);
        return g.ToBytes("Item side (feature setting): an item's feature vector to the item vector the model scores and reads, item_projection or identity; embeds items the model never saw.");
    }

    private static OnnxGraph Begin(string name, GraphSpec spec)
    {
        var g = new OnnxGraph(name);
        foreach (var input in spec.Inputs)
        {
            g.Input(input);
        }
        return g;
    }

    private static void Expect(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidDataException(problem);
        }
    }
}

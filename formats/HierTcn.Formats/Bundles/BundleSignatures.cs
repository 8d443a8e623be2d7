namespace HierTcn.Formats.Bundles;

/// <summary>
/// The serving contract of each model type: which graphs a bundle has, their files, inputs and outputs, and its
/// start tokens. The exporter writes manifests from this and the loader checks manifests against it, so the two
/// cannot drift. B and T are the dynamic batch and time dimensions; d, L, H come from <see cref="ModelDims"/>.
/// <list type="table">
/// <item><term>hiertcn</term><description>embed <c>tcn_step</c>: items [B,T,d], lengths [B] int64, state [B,L,H] -> user_embedding [B,d];
/// update <c>gru_step</c>: state [B,L,H], session_mean [B,d] (and with <see cref="ModelDims.TimeGap"/> gap_minutes [B])
/// -> next_state [B,L,H]; embed_step (optional)
/// <c>tcn_row_step</c>: item [B,d], state [B,L,H], buffers [B,S] -> user_embedding [B,d], next_buffers [B,S], S =
/// <see cref="TcnBufferSize"/></description></item>
/// <item><term>hiergru</term><description>embed <c>low_gru_step</c> (as tcn_step); update <c>gru_step</c></description></item>
/// <item><term>hrnn</term><description>embed <c>session_gru_step</c> (as tcn_step); update <c>user_gru_step</c>:
/// items, lengths, state -> next_state, where items are the closed session's rows [start, x_1 .. x_{n-1}] and
/// lengths n (the session GRU's top state there updates the user GRU)</description></item>
/// <item><term>gru</term><description>embed and update <c>flat_gru_step</c>: state [B,L,H], item [B,d], new_session [B]
/// -> next_state [B,L,H], user_embedding [B,d]</description></item>
/// <item><term>tcn</term><description>embed <c>flat_tcn_step</c>: items [B,T,d], new_session [B,T], lengths [B] int64
/// -> user_embedding [B,d]; no state</description></item>
/// </list>
/// Every type also has <c>score_topk</c> (role score): user_embedding [B,d], item_matrix [N,d], k [1] int64 ->
/// scores [B,K], indices [B,K] int64 (rows of item_matrix, best first), eq. 12's dot product; with
/// <see cref="ModelDims.RecentPop"/> it also reads item_prior [1,N] (w log(1 + c_i), added to every row's scores).
/// A model trained on item features (<see cref="ModelDims.FeatureDim"/> d_f set) also has <c>item_projection</c>
/// (role project): features [B,d_f] -> item_vectors [B,d], the trained projection (identity when the model used the
/// features as they are, d_f = d).
/// Every type has the start token <c>session_start</c> [d]; all but tcn have <c>user_start</c> [L,H] (zeros for the
/// flat GRU, whose state starts at zero).
/// </summary>
public static class BundleSignatures
{
    public const string Batch = "B";
    public const string Time = "T";
    public const string Items = "N";
    public const string TopK = "K";
    public const string SessionStart = "session_start";
    public const string UserStart = "user_start";
    public const string StartTokensFile = "start_tokens.bin";

    /// <summary>The graph input and output names. The specs below, the exporter's graphs and the service's bindings
    /// all use these, so a rename reaches every side at once.</summary>
    public static class Tensors
    {
        public const string Items = "items";
        public const string Lengths = "lengths";
        public const string State = "state";
        public const string NextState = "next_state";
        public const string SessionMean = "session_mean";
        public const string GapMinutes = "gap_minutes";
        public const string UserEmbedding = "user_embedding";
        public const string Item = "item";
        public const string NewSession = "new_session";
        public const string ItemMatrix = "item_matrix";
        public const string ItemPrior = "item_prior";
        public const string K = "k";
        public const string Scores = "scores";
        public const string Indices = "indices";
        public const string Features = "features";
        public const string ItemVectors = "item_vectors";
        public const string Buffers = "buffers";
        public const string NextBuffers = "next_buffers";
    }

    /// <summary>True for a role a bundle may lack (<see cref="GraphRoles.EmbedStep"/>): checked when present.</summary>
    public static bool IsOptional(string role) => role == GraphRoles.EmbedStep;

    /// <summary>Floats of TCN buffers one user carries between calls of the <see cref="GraphRoles.EmbedStep"/> graph:
    /// for block i (dilation 2^i) the last (K-1) 2^i inputs of conv1 (C_in_i channels; C_in_0 = d + H, or 2d + H with
    /// <see cref="ModelDims.SessionMean"/>, else C) and of conv2 (C channels), channel-major per convolution, blocks in
    /// order; with <see cref="ModelDims.SessionMean"/> then the running sum of the session's rows (d) and their count (1).
    /// 15,872 at the default sizes (63,488 bytes).</summary>
    /// <exception cref="ArgumentException"><paramref name="dims"/> has no TCN.</exception>
    public static int TcnBufferSize(ModelDims dims)
    {
        if (dims.Channels is not int c || dims.Kernel is not int k || dims.Blocks is not int blocks)
        {
            throw new ArgumentException("TCN buffers need dims with channels, kernel and blocks", nameof(dims));
        }
        bool mean = dims.SessionMean == true;
        long size = 0;
        for (int i = 0; i < blocks; i++)
        {
            long history = (long)(k - 1) << i;
            int input = i == 0 ? dims.ItemDim + dims.Hidden + (mean ? dims.ItemDim : 0) : c;
            size += history * (input + c);
        }
        if (mean)
        {
            size += dims.ItemDim + 1;
        }
        return checked((int)size);
    }

    /// <summary>The graphs (by role) a bundle of <paramref name="modelType"/> must have.</summary>
    /// <exception cref="ArgumentException">Unknown model type.</exception>
    public static IReadOnlyDictionary<string, GraphSpec> Graphs(string modelType, ModelDims dims)
    {
        var graphs = new Dictionary<string, GraphSpec>(ModelGraphs(modelType, dims), StringComparer.Ordinal)
        {
            [GraphRoles.Score] = ScoreTopK(dims),
        };
        if (dims.FeatureDim is not null)
        {
            graphs[GraphRoles.Project] = ItemProjection(dims);
        }
        return graphs;
    }

    /// <summary>The item projection of a feature model: features [B, d_f] -> item vectors [B, d].</summary>
    /// <exception cref="ArgumentException"><paramref name="dims"/> has no feature dimension.</exception>
    public static GraphSpec ItemProjection(ModelDims dims)
    {
        int featureDim = dims.FeatureDim ?? throw new ArgumentException("an item projection needs dims with a feature_dim (a feature model)", nameof(dims));
        var b = TensorDim.Dynamic(Batch);
        return new GraphSpec("item_projection.onnx", [F(Tensors.Features, b, TensorDim.Fixed(featureDim))],
            [F(Tensors.ItemVectors, b, TensorDim.Fixed(dims.ItemDim))]);
    }

    /// <summary>The scoring graph: user embeddings against the item matrix (plus the item prior of a
    /// <see cref="ModelDims.RecentPop"/> model), top k.</summary>
    public static GraphSpec ScoreTopK(ModelDims dims)
    {
        var b = TensorDim.Dynamic(Batch);
        var d = TensorDim.Fixed(dims.ItemDim);
        var k = TensorDim.Dynamic(TopK);
        var n = TensorDim.Dynamic(Items);
        var inputs = new List<TensorSpec> { F(Tensors.UserEmbedding, b, d), F(Tensors.ItemMatrix, n, d), new(Tensors.K, TensorSpec.Int64, [TensorDim.Fixed(1)]) };
        if (dims.RecentPop == true)
        {
            inputs.Add(F(Tensors.ItemPrior, TensorDim.Fixed(1), n));
        }
        return new GraphSpec("score_topk.onnx", inputs, [F(Tensors.Scores, b, k), new TensorSpec(Tensors.Indices, TensorSpec.Int64, [b, k])]);
    }

    private static IReadOnlyDictionary<string, GraphSpec> ModelGraphs(string modelType, ModelDims dims)
    {
        var b = TensorDim.Dynamic(Batch);
        var t = TensorDim.Dynamic(Time);
        var d = TensorDim.Fixed(dims.ItemDim);
        var state = F(Tensors.State, b, TensorDim.Fixed(dims.Layers), TensorDim.Fixed(dims.Hidden));
        var nextState = F(Tensors.NextState, b, TensorDim.Fixed(dims.Layers), TensorDim.Fixed(dims.Hidden));
        var items = F(Tensors.Items, b, t, d);
        var lengths = new TensorSpec(Tensors.Lengths, TensorSpec.Int64, [b]);
        var userEmbedding = F(Tensors.UserEmbedding, b, d);
        GraphSpec SessionEmbed(string file) => new(file, [items, lengths, state], [userEmbedding]);
        var highUpdate = dims.TimeGap == true
            ? new GraphSpec("gru_step.onnx", [state, F(Tensors.SessionMean, b, d), F(Tensors.GapMinutes, b)], [nextState])
            : new GraphSpec("gru_step.onnx", [state, F(Tensors.SessionMean, b, d)], [nextState]);
        switch (modelType)
        {
            case ModelTypes.HierTcn:
                var buffers = TensorDim.Fixed(TcnBufferSize(dims));
                return new Dictionary<string, GraphSpec>
                {
                    [GraphRoles.Embed] = SessionEmbed("tcn_step.onnx"),
                    [GraphRoles.Update] = highUpdate,
                    [GraphRoles.EmbedStep] = new("tcn_row_step.onnx", [F(Tensors.Item, b, d), state, F(Tensors.Buffers, b, buffers)],
                        [userEmbedding, F(Tensors.NextBuffers, b, buffers)]),
                };
            case ModelTypes.HierGru:
                return new Dictionary<string, GraphSpec> { [GraphRoles.Embed] = SessionEmbed("low_gru_step.onnx"), [GraphRoles.Update] = highUpdate };
            case ModelTypes.Hrnn:
                return new Dictionary<string, GraphSpec>
                {
                    [GraphRoles.Embed] = SessionEmbed("session_gru_step.onnx"),
                    [GraphRoles.Update] = new("user_gru_step.onnx", [items, lengths, state], [nextState]),
                };
            case ModelTypes.Gru:
                var step = new GraphSpec("flat_gru_step.onnx", [state, F(Tensors.Item, b, d), F(Tensors.NewSession, b)], [nextState, userEmbedding]);
                return new Dictionary<string, GraphSpec> { [GraphRoles.Embed] = step, [GraphRoles.Update] = step };
            case ModelTypes.Tcn:
                return new Dictionary<string, GraphSpec>
                {
                    [GraphRoles.Embed] = new("flat_tcn_step.onnx", [items, F(Tensors.NewSession, b, t), lengths], [userEmbedding]),
                };
            default:
                throw new ArgumentException($"unknown model type \"{modelType}\"; known: {string.Join(", ", ModelTypes.All)}");
        }
    }

    /// <summary>The start tokens of <paramref name="modelType"/>, laid out one after the other.</summary>
    public static StartTokensSpec StartTokens(string modelType, ModelDims dims)
    {
        var session = new StartTokenSpec(SessionStart, 0, [dims.ItemDim]);
        return modelType == ModelTypes.Tcn
            ? new StartTokensSpec(StartTokensFile, [session])
            : new StartTokensSpec(StartTokensFile, [session, new StartTokenSpec(UserStart, dims.ItemDim, [dims.Layers, dims.Hidden])]);
    }

    private static TensorSpec F(string name, params TensorDim[] shape) => new(name, TensorSpec.Float32, shape);
}

using HierTcn.Exporter.Internal;
using HierTcn.Formats.Bundles;
using HierTcn.Trainer;
using HierTcn.Trainer.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace HierTcn.Exporter.Tests;

/// <summary>
/// ONNX Runtime running the exported graphs against the trainer's TorchSharp models in eval mode, for every model
/// type, on random item histories: B = 1, 7, 64; T = 1, a middle value and the full receptive field (TCN models;
/// 121 rows for the GRU-based hierarchical models, 60 for the flat GRU, whose receptive field is unbounded); lengths
/// mixed in each batch. Sizes are the paper's structure (4 or 6 blocks, kernel 5) at reduced widths so the suite
/// stays fast; one case runs the paper's full sizes.
/// </summary>
public sealed partial class TorchParityTests(ITestOutputHelper output)
{
    private const int Items = 300;
    private const float Tolerance = 1e-4f;

    static TorchParityTests() => TorchRuntime.SetThreads(1);

    private static ModelOptions Small(ModelKind kind) => ModelOptions.ForKind(kind) with
    {
        ItemDim = 32,
        HighLayers = 3,
        HighHidden = 24,
        LowLayers = 3,
        LowHidden = 28,
        TcnChannels = 32,
        TcnSessionMean = false,                                    // the session mean's own tests set it
        MeanSkip = false,                                          // and the mean skip's (HierTCN needs the mean with it)
    };

    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var kind in Enum.GetValues<ModelKind>())
        {
            var o = Small(kind);
            int rf = new TcnShape(o.TcnBlocks, 1, o.TcnChannels, o.TcnKernel).ReceptiveField;
            int full = kind switch { ModelKind.Gru => 60, ModelKind.Tcn => rf, _ => new TcnShape(4, 1, 1, 5).ReceptiveField };
            foreach (int b in new[] { 1, 7, 64 })
            {
                foreach (int t in new[] { 1, full / 2, full })
                {
                    data.Add(ModelKinds.Name(kind), b, t);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Export_RandomHistories_OrtMatchesTorchSharp(string modelType, int b, int t) =>
        Check(Small(ModelKinds.Parse(modelType)), b, t, seed: b * 1000 + t);

    [Theory]
    [InlineData("hiertcn", 7, 40)]
    [InlineData("tcn", 7, 40)]
    public void Export_GatedTcn_OrtMatchesTorchSharp(string modelType, int b, int t) =>
        Check(Small(ModelKinds.Parse(modelType)) with { TcnGate = true }, b, t, seed: 17);

    /// <summary>HierTCN with <c>--tcn-session-mean</c>: tcn_step computes the running mean with CumSum, every graph equal.</summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 40)]
    [InlineData(64, 121)]
    public void Export_HierTcnSessionMean_OrtMatchesTorchSharp(int b, int t) =>
        Check(Small(ModelKind.HierTcn) with { TcnSessionMean = true }, b, t, seed: 23 + t);

    /// <summary>HierTCN and HierGRU with <c>--high-time-gap</c>: gru_step reads gap_minutes (0, under an hour, days)
    /// beside the session mean, and every graph equals the model that read the same gaps.</summary>
    [Theory]
    [InlineData("hiertcn", 7, 40)]
    [InlineData("hiergru", 7, 40)]
    [InlineData("hiertcn", 64, 1)]
    public void Export_HighTimeGap_OrtMatchesTorchSharp(string modelType, int b, int t) =>
        Check(Small(ModelKinds.Parse(modelType)) with { HighTimeGap = true, TcnSessionMean = modelType == "hiertcn" }, b, t, seed: 31 + b);

    /// <summary>HierTCN and HierGRU with <c>--high-skip</c>: tcn_step and low_gru_step add the high-level state's linear
    /// map to the user vector, as the trainer does (HierTCN with and without the session mean).</summary>
    [Theory]
    [InlineData(7, 40, false)]
    [InlineData(64, 1, true)]
    [InlineData(7, 121, true)]
    public void Export_HierTcnHighSkip_OrtMatchesTorchSharp(int b, int t, bool sessionMean) =>
        Check(Small(ModelKind.HierTcn) with { HighSkip = true, TcnSessionMean = sessionMean }, b, t, seed: 41 + t);

    [Theory]
    [InlineData(7, 40)]
    [InlineData(64, 1)]
    public void Export_HierGruHighSkip_OrtMatchesTorchSharp(int b, int t) =>
        Check(Small(ModelKind.HierGru) with { HighSkip = true }, b, t, seed: 43 + t);

    /// <summary>HierTCN and HierGRU with <c>--item-skip</c>: tcn_step and low_gru_step add the linear map of the last row's
    /// own input item (the start token at a session's first row) to the user vector, as the trainer does, alone and
    /// with the high-level skip.</summary>
    [Theory]
    [InlineData(7, 40, false, false)]
    [InlineData(64, 1, true, true)]
    [InlineData(7, 121, true, true)]
    public void Export_HierTcnItemSkip_OrtMatchesTorchSharp(int b, int t, bool sessionMean, bool highSkip) =>
        Check(Small(ModelKind.HierTcn) with { ItemSkip = true, HighSkip = highSkip, TcnSessionMean = sessionMean }, b, t, seed: 47 + t);

    [Theory]
    [InlineData(7, 40, false)]
    [InlineData(64, 1, true)]
    public void Export_HierGruItemSkip_OrtMatchesTorchSharp(int b, int t, bool highSkip) =>
        Check(Small(ModelKind.HierGru) with { ItemSkip = true, HighSkip = highSkip }, b, t, seed: 53 + t);

    /// <summary>HierTCN and HierGRU with <c>--mean-skip</c>: tcn_step and low_gru_step add the linear map of the running
    /// mean of the session's input rows up to the last one, as the trainer does, alone and with the other skips.</summary>
    [Theory]
    [InlineData(7, 40, false)]
    [InlineData(64, 1, true)]
    [InlineData(7, 121, true)]
    public void Export_HierTcnMeanSkip_OrtMatchesTorchSharp(int b, int t, bool otherSkips) =>
        Check(Small(ModelKind.HierTcn) with { MeanSkip = true, ItemSkip = otherSkips, HighSkip = otherSkips, TcnSessionMean = true }, b, t, seed: 59 + t);

    [Theory]
    [InlineData(7, 40, false)]
    [InlineData(64, 1, true)]
    public void Export_HierGruMeanSkip_OrtMatchesTorchSharp(int b, int t, bool otherSkips) =>
        Check(Small(ModelKind.HierGru) with { MeanSkip = true, ItemSkip = otherSkips, HighSkip = otherSkips }, b, t, seed: 61 + t);

    [Fact]
    public void Export_HierTcnPaperSizes_OrtMatchesTorchSharp() =>
        Check(ModelOptions.ForKind(ModelKind.HierTcn) with { TcnBlocks = 4, TcnKernel = 5 }, 7, 121, seed: 5);

    private void Check(ModelOptions options, int b, int t, int seed) => Check(options, ItemSource.Ids(Items), seed, w => new History(w, seed, b, t));

    /// <summary>Parity of every graph of <paramref name="options"/>'s model on the sessions <paramref name="history"/> makes.</summary>
    internal void Check(ModelOptions options, ItemSource items, int seed, Func<ModelWeights, History> history)
    {
        TorchRuntime.Seed(seed);
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(options, items);
        model.eval();
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
            {
                if (name == "user_start")
                {
                    p.uniform_(-0.5, 0.5);
                }
            }
        }
        string type = ModelKinds.Name(options.Kind);
        var weights = TorchWeights.From(model);
        var graphs = StepGraphs.Build(type, weights);
        var h = history(weights);
        using var grad = no_grad();
        switch (model)
        {
            case HierarchicalModel hier:
                CheckHierarchical(type, hier, graphs, h);
                break;
            case FlatModel flat when options.Kind == ModelKind.Tcn:
                CheckFlatTcn(flat, graphs, h);
                break;
            case FlatModel flat:
                CheckFlatGru(flat, graphs, h, options.LowLayers, options.LowHidden);
                break;
        }
    }

    private void CheckHierarchical(string type, HierarchicalModel model, IReadOnlyDictionary<string, byte[]> graphs, History h)
    {
        int b = h.B, t = h.T;
        using var s0 = model.InitialState(b);
        // With --high-time-gap: minutes from each row's first session to its second, from 0 to about a week.
        float[]? gaps = model.Options.HighTimeGap ? [.. Enumerable.Range(0, b).Select(i => i % 3 == 0 ? 0f : MathF.Pow(10000f, (i % 7) / 6f) + 0.5f * i)] : null;
        var (_, next1) = model.Step(s0, h.Ids1, h.Lengths1, ones(b, dtype: @bool), gaps is null ? null : zeros(b));
        var (u2, next2) = model.Step(next1, h.Ids2, h.Lengths2, zeros(b, dtype: @bool), gaps is null ? null : tensor(gaps));
        using (next1)
        using (next2)
        {
            long layers = next1.High.shape[0], hidden = next1.High.shape[2];
            float[] state1 = Floats(next1.High.permute(1, 0, 2)), state2 = Floats(next2.High.permute(1, 0, 2));

            using var embed = new Ort(graphs[GraphRoles.Embed]);
            var got = embed.Run(("items", h.Rows(h.Items2, t), [b, t, h.D]), ("lengths", h.L2, [b]), ("state", state2, [b, layers, hidden]))["user_embedding"];
            Report($"{type} embed", b, t, got, AtLastValid(u2, h.L2));

            using var update = new Ort(graphs[GraphRoles.Update]);
            float[] updated = type == ModelTypes.Hrnn
                ? update.Run(("items", h.Rows(h.Items1, t), [b, t, h.D]), ("lengths", h.L1, [b]),
                    ("state", state1, [b, layers, hidden]))["next_state"]
                : gaps is null
                    ? update.Run(("state", state1, [b, layers, hidden]), ("session_mean", h.SessionMeans(), [b, h.D]))["next_state"]
                    : update.Run(("state", state1, [b, layers, hidden]), ("session_mean", h.SessionMeans(), [b, h.D]), ("gap_minutes", gaps, [b]))["next_state"];
            Report($"{type} update", b, t, updated, state2);
        }
    }

    private void CheckFlatTcn(FlatModel model, IReadOnlyDictionary<string, byte[]> graphs, History h)
    {
        var u = model.Forward(h.Ids2, h.Starts, h.Lengths2);
        using var ort = new Ort(graphs[GraphRoles.Embed]);
        var got = ort.Run(("items", h.Rows(h.Items2, h.T), [h.B, h.T, h.D]), ("new_session", h.Flags(), [h.B, h.T]), ("lengths", h.L2, [h.B]))["user_embedding"];
        Report("tcn embed", h.B, h.T, got, AtLastValid(u, h.L2));
    }

    private void CheckFlatGru(FlatModel model, IReadOnlyDictionary<string, byte[]> graphs, History h, int layers, int hidden)
    {
        var u = model.Forward(h.Ids2, h.Starts, h.Lengths2); // [B, T, d]
        float[] all = Floats(u);
        var rows = h.Rows(h.Items2, h.T);
        var flags = h.Flags();
        using var ort = new Ort(graphs[GraphRoles.Update]);
        var state = new float[h.B * layers * hidden];
        float worst = 0;
        for (int j = 0; j < h.T; j++)
        {
            var item = Enumerable.Range(0, h.B).SelectMany(i => rows.AsSpan((i * h.T + j) * h.D, h.D).ToArray()).ToArray();
            var flag = Enumerable.Range(0, h.B).Select(i => flags[i * h.T + j]).ToArray();
            var result = ort.Run(("state", state, [h.B, layers, hidden]), ("item", item, [h.B, h.D]), ("new_session", flag, [h.B]));
            state = result["next_state"];
            var want = Enumerable.Range(0, h.B).SelectMany(i => all.AsSpan((i * h.T + j) * h.D, h.D).ToArray()).ToArray();
            worst = MathF.Max(worst, Diff.MaxAbs(result["user_embedding"], want));
        }
        output.WriteLine($"gru step-by-step B={h.B} T={h.T}: ONNX Runtime vs TorchSharp max abs diff over all steps {worst:E3}");
        Assert.True(worst <= Tolerance, $"gru: max abs diff {worst} > {Tolerance}");
    }

    private static float[] AtLastValid(Tensor u, long[] lengths)
    {
        int b = lengths.Length;
        int d = (int)u.shape[2];
        float[] all = Floats(u);
        int t = (int)u.shape[1];
        return Enumerable.Range(0, b).SelectMany(i => all.AsSpan((i * t + (int)lengths[i] - 1) * d, d).ToArray()).ToArray();
    }

    private static float[] Floats(Tensor x) => x.contiguous().cpu().data<float>().ToArray();

    private void Report(string what, int b, int t, float[] got, float[] want)
    {
        float diff = Diff.MaxAbs(got, want);
        output.WriteLine($"{what} B={b} T={t}: ONNX Runtime vs TorchSharp max abs diff {diff:E3} (max |value| {want.Max(MathF.Abs):F3})");
        Assert.True(diff <= Tolerance, $"{what} B={b} T={t}: max abs diff {diff} > {Tolerance}");
    }

    /// <summary>Two random sessions per row (ids, lengths: row 0 full, row 1 a single item, the rest mixed), session
    /// start flags, and the ONNX input rows built from the model's own item embeddings.</summary>
    internal sealed class History
    {
        private readonly float[] _embedding;
        private readonly float[] _start;

        public History(ModelWeights w, int seed, int b, int t) : this(w, b, t, RandomSessions(seed, b, t))
        {
        }

        /// <summary>Given sessions: ids [B*T] and lengths [B] of two consecutive sessions per row, flags [B*T].</summary>
        public History(ModelWeights w, int b, int t, (long[] Items1, long[] L1, long[] Items2, long[] L2, float[] Flags) sessions)
        {
            B = b;
            T = t;
            D = w["session_start"].Shape[0];
            _embedding = w["item_embedding.weight"].Data;
            _start = w["session_start"].Data;
            (Items1, L1, Items2, L2, StartFlags) = sessions;
            Ids1 = tensor(Items1, [b, t]);
            Ids2 = tensor(Items2, [b, t]);
            Lengths1 = tensor(L1);
            Lengths2 = tensor(L2);
            Starts = tensor(StartFlags, [b, t]);
        }

        private static (long[], long[], long[], long[], float[]) RandomSessions(int seed, int b, int t)
        {
            var random = new Random(seed);
            long[] Lengths() => [.. Enumerable.Range(0, b).Select(i => i == 0 ? t : i == 1 ? 1L : random.Next(1, t + 1))];
            long[] Ids() => [.. Enumerable.Range(0, b * t).Select(_ => (long)random.Next(Items))];
            return (Ids(), Lengths(), Ids(), Lengths(), [.. Enumerable.Range(0, b * t).Select(_ => random.Next(5) == 0 ? 1f : 0f)]);
        }

        public int B { get; }
        public int T { get; }
        public int D { get; }
        public long[] L1 { get; }
        public long[] L2 { get; }
        public long[] Items1 { get; }
        public long[] Items2 { get; }
        public float[] StartFlags { get; }
        public Tensor Ids1 { get; }
        public Tensor Ids2 { get; }
        public Tensor Lengths1 { get; }
        public Tensor Lengths2 { get; }
        public Tensor Starts { get; }

        /// <summary>[B, rows, d]: the session start token, then the embeddings of the row's items in order.</summary>
        public float[] Rows(long[] ids, int rows)
        {
            var x = new float[B * rows * D];
            for (int i = 0; i < B; i++)
            {
                _start.CopyTo(x, i * rows * D);
                for (int j = 1; j < rows; j++)
                {
                    _embedding.AsSpan((int)ids[i * T + j - 1] * D, D).CopyTo(x.AsSpan((i * rows + j) * D));
                }
            }
            return x;
        }

        /// <summary>The flat models' flags: 1 at position 0, else the random session starts.</summary>
        public float[] Flags() => [.. StartFlags.Select((f, k) => k % T == 0 ? 1f : f)];

        /// <summary>Mean embedding of each row's first session.</summary>
        public float[] SessionMeans()
        {
            var m = new float[B * D];
            for (int i = 0; i < B; i++)
            {
                for (int j = 0; j < L1[i]; j++)
                {
                    for (int k = 0; k < D; k++)
                    {
                        m[i * D + k] += _embedding[(int)Items1[i * T + j] * D + k];
                    }
                }
                for (int k = 0; k < D; k++)
                {
                    m[i * D + k] /= L1[i];
                }
            }
            return m;
        }
    }
}

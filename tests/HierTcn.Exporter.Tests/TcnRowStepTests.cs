using HierTcn.Formats.Bundles;
using HierTcn.Trainer;
using HierTcn.Trainer.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace HierTcn.Exporter.Tests;

/// <summary>
/// The incremental TCN graph (<c>tcn_row_step</c>, role embed_step) stepped one row at a time from zero buffers,
/// against the full-window graph (<c>tcn_step</c>) on every prefix and against the trainer's TorchSharp model, at
/// every position of 300-row sessions. The TCN is causal, so position j of a 300-row session is the last position of
/// that session's first j + 1 rows: together the positions cover sessions of every length from 1 to 300.
/// </summary>
public sealed class TcnRowStepTests(ITestOutputHelper output)
{
    private const int Items = 300;
    private const float Tolerance = 1e-4f;

    static TcnRowStepTests() => TorchRuntime.SetThreads(1);

    // Receptive field 1 + 2 * 2 * (2^3 - 1) = 29 rows: a 300-row session crosses it ten times.
    private static ModelOptions Tiny => ModelOptions.ForKind(ModelKind.HierTcn) with
    {
        ItemDim = 8,
        HighLayers = 2,
        HighHidden = 6,
        TcnChannels = 10,
        TcnBlocks = 3,
        TcnKernel = 3,
        TcnSessionMean = false,                                    // the session mean's own tests set it
        MeanSkip = false,                                          // and the mean skip's (it needs the mean)
    };

    [Fact]
    public void TcnRowStep_EveryPositionUpTo300Rows_EqualsFullWindowAndTorchSharp()
    {
        var run = Stepped(Tiny, b: 3, t: 300, seed: 11);
        AssertEqualsFullWindowAndTorch(run, $"tcn_row_step (receptive field {run.ReceptiveField})");
    }

    [Fact]
    public void TcnRowStep_GatedTcn_EqualsTorchSharpAtEveryPosition()
    {
        var run = Stepped(Tiny with { TcnGate = true }, b: 3, t: 80, seed: 14);
        float worst = run.WorstAgainstTorch();
        output.WriteLine($"gated TCN, {run.B} sessions of {run.T} rows: max abs diff against TorchSharp at every position {worst:E3}");
        Assert.True(worst <= Tolerance, $"step vs TorchSharp: {worst} > {Tolerance}");
    }

    /// <summary>With <c>--tcn-session-mean</c> the buffers also carry the running row sum and count, so the step equals
    /// the full window and TorchSharp at every position of 300-row sessions, far past the convolutions' reach.</summary>
    [Fact]
    public void TcnRowStep_SessionMean_EqualsFullWindowAndTorchSharpAtEveryPosition()
    {
        var run = Stepped(Tiny with { TcnSessionMean = true }, b: 3, t: 300, seed: 15);
        // conv1 of block 0 reads 2d + H = 22 channels (2 x (22 + 10)), blocks 1 and 2 as without (4 x 20, 8 x 20),
        // then the running sum (d = 8) and the count: 313 floats, against 288 without the mean.
        Assert.Equal(313, run.BufferSize);
        AssertEqualsFullWindowAndTorch(run, "tcn_row_step with the session mean");
    }

    /// <summary>With <c>--high-skip</c> the row step adds the high-level state's linear map at every row, as the
    /// full window and the trainer do.</summary>
    [Fact]
    public void TcnRowStep_HighSkip_EqualsFullWindowAndTorchSharpAtEveryPosition()
    {
        var run = Stepped(Tiny with { HighSkip = true, TcnSessionMean = true }, b: 3, t: 60, seed: 16);
        AssertEqualsFullWindowAndTorch(run, "tcn_row_step with the high-level skip");
    }

    /// <summary>With <c>--item-skip</c> the row step adds the linear map of the row's own input (the start token, then
    /// each item), as the full window and the trainer do.</summary>
    [Fact]
    public void TcnRowStep_ItemSkip_EqualsFullWindowAndTorchSharpAtEveryPosition()
    {
        var run = Stepped(Tiny with { ItemSkip = true, HighSkip = true, TcnSessionMean = true }, b: 3, t: 60, seed: 17);
        AssertEqualsFullWindowAndTorch(run, "tcn_row_step with the item skip");
    }

    /// <summary>With <c>--mean-skip</c> the row step adds the linear map of the session's running mean, which it keeps in
    /// its buffers, as the full window and the trainer do.</summary>
    [Fact]
    public void TcnRowStep_MeanSkip_EqualsFullWindowAndTorchSharpAtEveryPosition()
    {
        var run = Stepped(Tiny with { MeanSkip = true, ItemSkip = true, HighSkip = true, TcnSessionMean = true }, b: 3, t: 60, seed: 18);
        AssertEqualsFullWindowAndTorch(run, "tcn_row_step with the mean skip");
    }

    /// <summary>The step stepped row by row equals the full-window graph on every prefix and TorchSharp at every position.</summary>
    private void AssertEqualsFullWindowAndTorch(SteppedRun run, string what)
    {
        float worstFull = run.WorstAgainstFullWindow();
        float worstTorch = run.WorstAgainstTorch();
        output.WriteLine($"{what}, {run.B} sessions of {run.T} rows: max abs diff against tcn_step on every prefix {worstFull:E3}, "
            + $"against TorchSharp at every position {worstTorch:E3}");
        Assert.True(worstFull <= Tolerance, $"step vs full window: {worstFull} > {Tolerance}");
        Assert.True(worstTorch <= Tolerance, $"step vs TorchSharp: {worstTorch} > {Tolerance}");
    }

    [Fact]
    public void TcnRowStep_PrimedOnLastReceptiveFieldRows_ContinuesAsTheWholeSession()
    {
        // What the service does on a cache miss: zero buffers, then only the session's last receptive_field rows.
        var run = Stepped(Tiny, b: 2, t: 120, seed: 12);
        int rf = run.ReceptiveField;
        int cut = 70;
        using var step = new Ort(run.Graphs[GraphRoles.EmbedStep]);
        var buffers = new float[run.B * run.BufferSize];
        float worst = 0;
        for (int j = cut - rf; j < run.T; j++)
        {
            var result = step.Run(("item", run.Row(j), [run.B, run.D]), ("state", run.State, [run.B, run.Layers, run.Hidden]),
                ("buffers", buffers, [run.B, run.BufferSize]));
            buffers = result["next_buffers"];
            if (j >= cut - 1)
            {
                worst = MathF.Max(worst, Diff.MaxAbs(result["user_embedding"], run.Stepped[j]));
            }
        }
        output.WriteLine($"primed on rows {cut - rf}..{cut - 1} then stepped to {run.T}: max abs diff against the whole session {worst:E3}");
        Assert.True(worst <= Tolerance, $"primed vs whole session: {worst} > {Tolerance}");
    }

    [Fact]
    public void TcnRowStep_PaperSizes_EqualsTorchSharpAtEveryPosition()
    {
        var run = Stepped(ModelOptions.ForKind(ModelKind.HierTcn) with { TcnBlocks = 4, TcnKernel = 5, TcnSessionMean = false, MeanSkip = false }, b: 2, t: 130, seed: 13);
        Assert.Equal(15_872, run.BufferSize);
        float worst = run.WorstAgainstTorch();
        output.WriteLine($"paper sizes, {run.B} sessions of {run.T} rows: max abs diff against TorchSharp at every position {worst:E3}");
        Assert.True(worst <= Tolerance, $"step vs TorchSharp: {worst} > {Tolerance}");
    }

    [Fact]
    public void TcnRowStep_DefaultSizes_CarryTheSessionMeanAndEqualTorchSharpAtEveryPosition()
    {
        // HierTCN's default (one block of kernel 3 with the session mean, the item and mean skips): 2 x (2d + H + C) history floats plus the
        // running sum (d) and count, the figure inference/README.md sizes the step cache by.
        var run = Stepped(ModelOptions.ForKind(ModelKind.HierTcn), b: 2, t: 40, seed: 17);
        Assert.Equal(1_153, run.BufferSize);
        Assert.Equal(int.MaxValue, run.ReceptiveField);
        float worst = run.WorstAgainstTorch();
        output.WriteLine($"default sizes, {run.B} sessions of {run.T} rows: max abs diff against TorchSharp at every position {worst:E3}");
        Assert.True(worst <= Tolerance, $"step vs TorchSharp: {worst} > {Tolerance}");
    }

    /// <summary>With <c>--tcn-context-newest-tap</c> the first convolution's context weights at the older taps are zero,
    /// so the step graphs, which know nothing of the option, equal TorchSharp (which masks them) at every position.</summary>
    [Fact]
    public void TcnRowStep_ContextNewestTap_EqualsTorchSharpAtEveryPosition()
    {
        var run = Stepped(Tiny with { TcnSessionMean = true, TcnContextNewestTap = true }, b: 3, t: 60, seed: 18);
        float worst = run.WorstAgainstTorch();
        output.WriteLine($"context at the newest tap, {run.B} sessions of {run.T} rows: max abs diff against TorchSharp at every position {worst:E3}");
        Assert.True(worst <= Tolerance, $"step vs TorchSharp: {worst} > {Tolerance}");
    }

    private static SteppedRun Stepped(ModelOptions options, int b, int t, int seed)
    {
        TorchRuntime.Seed(seed);
        using var scope = NewDisposeScope();
        using var model = (HierarchicalModel)ModelFactory.Create(options, ItemSource.Ids(Items));
        model.eval();
        using var grad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name == "user_start")
            {
                p.uniform_(-0.5, 0.5);
            }
        }
        var weights = TorchWeights.From(model);
        var graphs = StepGraphs.Build(ModelTypes.HierTcn, weights);
        var dims = StepGraphs.Dims(ModelTypes.HierTcn, weights);
        var random = new Random(seed);
        long[] Ids() => [.. Enumerable.Range(0, b * t).Select(_ => (long)random.Next(Items))];
        long[] first = [.. Enumerable.Range(0, b).Select(_ => (long)random.Next(1, t + 1))];
        var h = new TorchParityTests.History(weights, b, t, (Ids(), first, Ids(), Enumerable.Repeat((long)t, b).ToArray(), new float[b * t]));

        // Two sessions per user, so the high-level state differs per row; TorchSharp's embeddings of the second.
        using var s0 = model.InitialState(b);
        var (_, next1) = model.Step(s0, h.Ids1, h.Lengths1, ones(b, dtype: @bool));
        var (u2, next2) = model.Step(next1, h.Ids2, h.Lengths2, zeros(b, dtype: @bool));
        float[] state = next2.High.permute(1, 0, 2).contiguous().cpu().data<float>().ToArray();
        float[] torch = u2.contiguous().cpu().data<float>().ToArray();
        next1.Dispose();
        next2.Dispose();

        var run = new SteppedRun(graphs, h.Rows(h.Items2, t), state, torch, b, t, h.D, dims.Layers, dims.Hidden,
            BundleSignatures.TcnBufferSize(dims), dims.ReceptiveField ?? int.MaxValue);
        using var step = new Ort(graphs[GraphRoles.EmbedStep]);
        var buffers = new float[b * run.BufferSize];
        for (int j = 0; j < t; j++)
        {
            var result = step.Run(("item", run.Row(j), [b, h.D]), ("state", state, [b, dims.Layers, dims.Hidden]), ("buffers", buffers, [b, run.BufferSize]));
            buffers = result["next_buffers"];
            run.Stepped.Add(result["user_embedding"]);
        }
        return run;
    }

    /// <summary>One batch of sessions stepped row by row: the graphs, the input rows [B, T, d], the high-level state,
    /// TorchSharp's embeddings [B, T, d] and the step graph's at each position ([B, d] each).</summary>
    private sealed record SteppedRun(IReadOnlyDictionary<string, byte[]> Graphs, float[] Rows, float[] State, float[] Torch, int B, int T, int D,
        int Layers, int Hidden, int BufferSize, int ReceptiveField)
    {
        public List<float[]> Stepped { get; } = [];

        /// <summary>Row j of every session, [B, d].</summary>
        public float[] Row(int j) => [.. Enumerable.Range(0, B).SelectMany(i => Rows.AsSpan((i * T + j) * D, D).ToArray())];

        /// <summary>The first n rows of every session, [B, n, d].</summary>
        public float[] Prefix(int n) => [.. Enumerable.Range(0, B).SelectMany(i => Rows.AsSpan(i * T * D, n * D).ToArray())];

        /// <summary>The largest difference between the step graph at position n - 1 and tcn_step on the first n rows, every n.</summary>
        public float WorstAgainstFullWindow()
        {
            using var full = new Ort(Graphs[GraphRoles.Embed]);
            float worst = 0;
            for (int n = 1; n <= T; n++)
            {
                var got = full.Run(("items", Prefix(n), [B, n, D]), ("lengths", Enumerable.Repeat((long)n, B).ToArray(), [B]),
                    ("state", State, [B, Layers, Hidden]))["user_embedding"];
                worst = MathF.Max(worst, Diff.MaxAbs(Stepped[n - 1], got));
            }
            return worst;
        }

        public float WorstAgainstTorch()
        {
            float worst = 0;
            for (int j = 0; j < T; j++)
            {
                float[] want = [.. Enumerable.Range(0, B).SelectMany(i => Torch.AsSpan((i * T + j) * D, D).ToArray())];
                worst = MathF.Max(worst, Diff.MaxAbs(Stepped[j], want));
            }
            return worst;
        }
    }
}

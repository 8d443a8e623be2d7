using HierTcn.Trainer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Tests;

public sealed class ModelTests
{
    private const int Items = 50;

    static ModelTests() => TorchRuntime.SetThreads(2);

    private static ModelOptions Small(ModelKind kind) => new()
    {
        Kind = kind,
        ItemDim = 8,
        HighLayers = 2,
        HighHidden = 6,
        LowLayers = 2,
        LowHidden = 7,
        TcnBlocks = kind == ModelKind.Tcn ? 3 : 2,
        TcnChannels = 5,
        TcnKernel = 3,
    };

    [Fact]
    public void StateDict_HierTcnPaperSizes_HasContractNamesAndShapes()
    {
        // The paper's 4-layer high level (the default is 1 layer: bench/RESULTS.md, the accuracy ablation).
        // The default TCN is one block of kernel 3 (bench/RESULTS.md, "HierTCN's TCN size over three seeds").
        // The default reads the running session mean with dropout 0.3 ("HierTCN fits its training users better than HierGRU").
        var d = ModelOptions.ForKind(ModelKind.HierTcn);
        Assert.Equal((1, 1, 3, true, 0.3, 0.0, true), (d.HighLayers, d.TcnBlocks, d.TcnKernel, d.TcnSessionMean, d.Dropout, d.InputDropout, d.HighSkip));
        Assert.True(d.ItemSkip && d.MeanSkip);
        TorchRuntime.Seed(1);
        using var model = new HierTcnModel(d with { HighLayers = 4, TcnBlocks = 4, TcnKernel = 5, TcnSessionMean = false, MeanSkip = false }, ItemSource.Ids(2521));
        var shapes = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal([2521L, 128], shapes["item_embedding.weight"]);
        Assert.Equal([128L], shapes["session_start"]);
        Assert.Equal([4L, 128], shapes["user_start"]);
        for (int k = 0; k < 4; k++)
        {
            Assert.Equal([384L, 128], shapes[$"high_gru.layers.{k}.weight_ih"]);
            Assert.Equal([384L, 128], shapes[$"high_gru.layers.{k}.weight_hh"]);
            Assert.Equal([384L], shapes[$"high_gru.layers.{k}.bias_ih"]);
            Assert.Equal([384L], shapes[$"high_gru.layers.{k}.bias_hh"]);
            Assert.Equal([128L, k == 0 ? 256 : 128, 5], shapes[$"tcn.blocks.{k}.conv1.weight"]);
            Assert.Equal([128L, 128, 5], shapes[$"tcn.blocks.{k}.conv2.weight"]);
            Assert.Equal([128L], shapes[$"tcn.blocks.{k}.conv2.bias"]);
        }
        Assert.Equal([128L, 256, 1], shapes["tcn.blocks.0.downsample.weight"]);
        Assert.DoesNotContain("tcn.blocks.1.downsample.weight", shapes.Keys);
        Assert.Equal([128L, 128], shapes["output.weight"]);
        Assert.Equal([128L], shapes["output.bias"]);
        Assert.Equal([128L, 128], shapes["high_skip.weight"]);
        Assert.Equal([128L, 128], shapes["item_skip.weight"]);
        Assert.DoesNotContain("mean_skip.weight", shapes.Keys);
        Assert.Equal(shapes.Count, model.named_parameters().Count());
        Assert.DoesNotContain(shapes.Keys, k => k.StartsWith('_'));
    }

    [Theory]
    [InlineData(ModelKind.HierTcn, new[] { "high_gru.layers.3.weight_hh", "tcn.blocks.0.conv2.weight", "output.weight", "user_start" })]
    [InlineData(ModelKind.HierGru, new[] { "high_gru.layers.3.weight_hh", "low_gru.layers.3.bias_hh", "output.bias" })]
    [InlineData(ModelKind.Hrnn, new[] { "user_gru.layers.3.weight_ih", "session_gru.layers.0.weight_ih", "session_init.weight" })]
    [InlineData(ModelKind.Tcn, new[] { "tcn.blocks.5.conv1.weight", "tcn.blocks.0.downsample.weight", "session_start" })]
    [InlineData(ModelKind.Gru, new[] { "gru.layers.3.weight_hh", "gru.layers.0.weight_ih", "item_embedding.weight" })]
    public void StateDict_EachModel_HasContractNames(ModelKind kind, string[] expected)
    {
        using var model = ModelFactory.Create(ModelOptions.ForKind(kind) with { HighLayers = 4, LowLayers = 4 }, ItemSource.Ids(100));
        var keys = model.state_dict().Keys.ToHashSet();
        foreach (string name in expected)
        {
            Assert.Contains(name, keys);
        }
        Assert.True(model.ParameterCount() > 100 * 128);
    }

    [Fact]
    public void StateDict_BatchNormOn_HasRunningStatistics()
    {
        using var model = new TcnModel(Small(ModelKind.Tcn) with { BatchNorm = true }, ItemSource.Ids(Items));
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("tcn.blocks.0.bn1.running_mean", keys);
        Assert.Contains("tcn.blocks.2.bn2.running_var", keys);
        Assert.Contains("tcn.blocks.2.bn2.weight", keys);
    }

    [Fact]
    public void StateDict_FeatureSetting_HasProjectionAndNoFixedVectors()
    {
        var features = Enumerable.Range(0, Items * 4).Select(i => (float)Math.Sin(i)).ToArray();
        using var model = new HierTcnModel(Small(ModelKind.HierTcn), ItemSource.FromFeatures(features, Items, 4));
        var shapes = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal([8L, 4], shapes["item_projection.weight"]);
        Assert.DoesNotContain("item_embedding.weight", shapes.Keys);
        Assert.Equal([Items, 8L], model.ItemVectors().shape);
    }

    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    [InlineData(ModelKind.Hrnn)]
    [InlineData(ModelKind.Tcn)]
    [InlineData(ModelKind.Gru)]
    public void Scores_ItemBiasOn_AreDotProductsPlusTheRegisteredBias(ModelKind kind)
    {
        TorchRuntime.Seed(3);
        using var plain = ModelFactory.Create(Small(kind), ItemSource.Ids(Items));
        Assert.Null(plain.ItemBias());
        Assert.DoesNotContain("item_bias", plain.state_dict().Keys);

        using var model = ModelFactory.Create(Small(kind) with { ItemBias = true }, ItemSource.Ids(Items));
        Assert.Equal([Items], model.state_dict()["item_bias"].shape);
        using (torch.no_grad())
        {
            model.ItemBias()!.copy_(torch.arange(Items, dtype: torch.float32));
            var user = torch.randn(3, 8);
            var expected = user.matmul(model.ItemVectors().t()) + torch.arange(Items, dtype: torch.float32);
            Assert.True(torch.allclose(expected, model.Scores(user)), "scores are not u . e_i + b_i");
        }
    }

    [Theory]
    [InlineData(ModelKind.Tcn, false)]
    [InlineData(ModelKind.Gru, false)]
    [InlineData(ModelKind.Tcn, true)]
    public void Forward_FlatModelFutureInputChanged_EarlierOutputsUnchanged(ModelKind kind, bool batchNorm)
    {
        TorchRuntime.Seed(7);
        using var model = (FlatModel)ModelFactory.Create(Small(kind) with { BatchNorm = batchNorm }, ItemSource.Ids(Items));
        model.train(batchNorm); // per-time-step statistics in training mode must stay causal too
        const int t = 12;
        var rng = new Random(3);
        long[] items = [.. Enumerable.Range(0, 2 * t).Select(_ => (long)rng.Next(Items))];
        float[] starts = [.. Enumerable.Range(0, 2 * t).Select(i => i % 5 == 0 ? 1f : 0f)];
        using var lengths = tensor(new long[] { t, t });
        for (int j = 0; j < t - 1; j++)
        {
            long[] changed = (long[])items.Clone();
            changed[j] = (changed[j] + 1) % Items;
            changed[t + j] = (changed[t + j] + 7) % Items;
            using var a = model.Forward(tensor(items, [2, t]), tensor(starts, [2, t]), lengths);
            using var b = model.Forward(tensor(changed, [2, t]), tensor(starts, [2, t]), lengths);
            // Event j's item is input at position j + 1: outputs 0..j must not move, position j + 1 must.
            Assert.True(a.slice(1, 0, j + 1, 1).allclose(b.slice(1, 0, j + 1, 1), rtol: 0, atol: 1e-6), $"{kind}: output before {j + 1} changed");
            Assert.False(a.select(1, j + 1).allclose(b.select(1, j + 1), rtol: 0, atol: 1e-6), $"{kind}: position {j + 1} ignores its input");
        }
    }

    [Theory]
    [InlineData(ModelKind.HierTcn, false)]
    [InlineData(ModelKind.HierGru, false)]
    [InlineData(ModelKind.Hrnn, false)]
    [InlineData(ModelKind.HierTcn, true)]
    public void Step_HierarchicalFutureInputChanged_EarlierOutputsUnchanged(ModelKind kind, bool sessionMean)
    {
        TorchRuntime.Seed(11);
        using var model = (HierarchicalModel)ModelFactory.Create(Small(kind) with { TcnSessionMean = sessionMean }, ItemSource.Ids(Items));
        model.eval();
        int[][] sessions = [[3, 4, 5], [6, 7, 8, 9, 10], [11, 12]];
        var a = RunUser(model, sessions);
        // First item, a middle item and a session's last item.
        foreach (var (s, p) in new[] { (0, 0), (1, 2), (1, 4), (2, 1) })
        {
            {
                int[][] changed = [.. sessions.Select(x => (int[])x.Clone())];
                changed[s][p] += 20;
                var b = RunUser(model, changed);
                for (int s2 = 0; s2 < sessions.Length; s2++)
                {
                    for (int p2 = 0; p2 < sessions[s2].Length; p2++)
                    {
                        bool before = s2 < s || (s2 == s && p2 <= p);
                        bool same = a[s2][p2].allclose(b[s2][p2], rtol: 0, atol: 1e-6);
                        if (before)
                        {
                            Assert.True(same, $"{kind}: output at session {s2} position {p2} moved when session {s} item {p} changed");
                        }
                    }
                }
                if (p + 1 < sessions[s].Length)
                {
                    Assert.False(a[s][p + 1].allclose(b[s][p + 1], rtol: 0, atol: 1e-6), $"{kind}: next position ignores the item");
                }
                // HRNN (CONTRACT.md) never passes a session's last item to the user level; the others do.
                bool reachesNext = kind != ModelKind.Hrnn || p + 1 < sessions[s].Length;
                if (s + 1 < sessions.Length && reachesNext)
                {
                    Assert.False(a[s + 1][0].allclose(b[s + 1][0], rtol: 0, atol: 1e-6), $"{kind}: next session ignores the high level");
                }
            }
        }
    }

    /// <summary><c>--input-dropout</c> acts while training only: in evaluation the model computes what the same weights
    /// compute without it (so the exported graphs, which have no dropout, stay equal), and in training it changes the rows.</summary>
    [Theory]
    [InlineData(ModelKind.HierTcn, false)]
    [InlineData(ModelKind.HierTcn, true)]
    [InlineData(ModelKind.HierGru, false)]
    public void Step_InputDropout_ActsInTrainingOnly(ModelKind kind, bool sessionMean)
    {
        var options = Small(kind) with { TcnSessionMean = sessionMean };
        TorchRuntime.Seed(17);
        using var plain = (HierarchicalModel)ModelFactory.Create(options, ItemSource.Ids(Items));
        TorchRuntime.Seed(17);
        using var dropped = (HierarchicalModel)ModelFactory.Create(options with { InputDropout = 0.5 }, ItemSource.Ids(Items));
        int[][] sessions = [[3, 4, 5], [6, 7, 8, 9, 10]];
        plain.eval();
        dropped.eval();
        var a = RunUser(plain, sessions);
        var b = RunUser(dropped, sessions);
        for (int s = 0; s < sessions.Length; s++)
        {
            for (int p = 0; p < sessions[s].Length; p++)
            {
                Assert.True(a[s][p].allclose(b[s][p], rtol: 0, atol: 0), $"{kind}: evaluation changed at session {s} position {p}");
            }
        }
        dropped.train();
        var c = RunUser(dropped, sessions);
        Assert.Contains(Enumerable.Range(0, sessions.Length).SelectMany(s => Enumerable.Range(0, sessions[s].Length).Select(p => (s, p))),
            sp => !a[sp.s][sp.p].allclose(c[sp.s][sp.p], rtol: 0, atol: 1e-6));
    }

    /// <summary><c>--high-time-gap</c>: the gap enters where the high level folds a session in, so it moves every row of
    /// the next session and nothing at a user's first session (the high level restarts there); a step without the gaps is
    /// refused, not run with zeros.</summary>
    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    public void Step_HighTimeGap_MovesTheSessionAfterTheGap(ModelKind kind)
    {
        TorchRuntime.Seed(29);
        using var model = (HierarchicalModel)ModelFactory.Create(Small(kind) with { HighTimeGap = true }, ItemSource.Ids(Items));
        model.eval();
        Assert.False(model.ReadsWholeUsers);
        using var items = tensor(new long[] { 3, 4, 5, 6, 7, 8 }, [2, 3]);
        using var lengths = tensor(new long[] { 3, 3 });
        using var start = model.InitialState(2);
        var (first, afterFirst) = model.Step(start, items, lengths, tensor(new[] { true, true }), tensor(new float[] { 0, 0 }));
        var (firstAgain, _) = model.Step(start, items, lengths, tensor(new[] { true, true }), tensor(new float[] { 600, 5 }));
        Assert.True(first.allclose(firstAgain, rtol: 0, atol: 0), $"{kind}: a user's first session read the gap");
        var (soon, _) = model.Step(afterFirst, items, lengths, tensor(new[] { false, false }), tensor(new float[] { 31, 31 }));
        var (late, _) = model.Step(afterFirst, items, lengths, tensor(new[] { false, false }), tensor(new float[] { 31, 2880 }));
        Assert.True(soon[0].allclose(late[0], rtol: 0, atol: 0), $"{kind}: row 0's gap did not change, its rows did");
        for (int p = 0; p < 3; p++)
        {
            Assert.False(soon[1, p].allclose(late[1, p], rtol: 0, atol: 1e-6), $"{kind}: position {p} of the session after the gap ignored it");
        }
        Assert.Throws<ArgumentException>(() => model.Step(afterFirst, items, lengths, tensor(new[] { false, false })));
    }

    /// <summary><c>--high-dropout</c> sets the high-level GRU's dropout apart from the low level's: at 0 the high-level
    /// state after a session is the same on every training pass while the low level's dropout still moves its rows; unset,
    /// the high level drops at <c>--dropout</c> and its state moves between passes.</summary>
    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    [InlineData(ModelKind.Hrnn)]
    public void Step_HighDropout_SetsTheHighLevelsRateApart(ModelKind kind)
    {
        foreach (double? high in new double?[] { 0, null })
        {
            TorchRuntime.Seed(23);
            using var model = (HierarchicalModel)ModelFactory.Create(Small(kind) with { Dropout = 0.5, HighDropout = high }, ItemSource.Ids(Items));
            model.train();
            using var items = tensor(new long[] { 3, 4, 5, 6, 7, 8 }, [2, 3]);
            using var lengths = tensor(new long[] { 3, 3 });
            var (_, afterFirst) = model.Step(model.InitialState(2), items, lengths, tensor(new[] { true, true }));
            var (u1, next1) = model.Step(afterFirst, items, lengths, tensor(new[] { false, false }));
            var (u2, next2) = model.Step(afterFirst, items, lengths, tensor(new[] { false, false }));
            Assert.False(u1.allclose(u2, rtol: 0, atol: 1e-7), $"{kind}, high dropout {high}: the low level's dropout did nothing");
            // The state a step returns holds the high level after folding in the pending session (HRNN's carries its
            // session GRU state too, which the low level's dropout moves: compare the high level only).
            Assert.Equal(high is null, !next1.High.allclose(next2.High, rtol: 0, atol: 1e-7));
        }
    }

    /// <summary>With <c>--tcn-session-mean</c> a row reads the session's items beyond the convolutions' reach: one block
    /// of kernel 2 sees rows t-2..t, so the session's first item (row 1) reaches row 4 only through the running mean.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Step_HierTcnSessionMean_ReadsItemsBeyondTheReceptiveField(bool sessionMean)
    {
        TorchRuntime.Seed(13);
        var options = Small(ModelKind.HierTcn) with { TcnBlocks = 1, TcnKernel = 2, TcnSessionMean = sessionMean };
        using var model = (HierarchicalModel)ModelFactory.Create(options, ItemSource.Ids(Items));
        model.eval();
        int[][] sessions = [[6, 7, 8, 9, 10]];
        var a = RunUser(model, sessions);
        var b = RunUser(model, [[26, 7, 8, 9, 10]]);
        Assert.True(a[0][0].allclose(b[0][0], rtol: 0, atol: 1e-6), "the first row moved with the item it predicts");
        Assert.Equal(!sessionMean, a[0][4].allclose(b[0][4], rtol: 0, atol: 1e-6));
    }

    /// <summary>One user's sessions, one step each (row 0), beside a second user that stays fixed (row 1).</summary>
    private static List<Tensor[]> RunUser(HierarchicalModel model, int[][] sessions)
    {
        var outputs = new List<Tensor[]>();
        var state = model.InitialState(2);
        for (int s = 0; s < sessions.Length; s++)
        {
            int len = sessions[s].Length;
            long[] items = new long[2 * 5];
            for (int p = 0; p < len; p++)
            {
                items[p] = sessions[s][p];
            }
            for (int p = 0; p < 4; p++)
            {
                items[5 + p] = 40 + p + s;
            }
            using var lengths = tensor(new long[] { len, 4 });
            using var newUser = tensor(new[] { s == 0, s == 0 });
            var (u, next) = model.Step(state, tensor(items, [2, 5]), lengths, newUser);
            state.Dispose();
            state = next;
            outputs.Add([.. Enumerable.Range(0, len).Select(p => u[0, p].clone())]);
        }
        state.Dispose();
        return outputs;
    }

    [Fact]
    public void Step_NewUserFlag_RestartsFromUserStart()
    {
        TorchRuntime.Seed(5);
        using var model = (HierarchicalModel)ModelFactory.Create(Small(ModelKind.HierTcn), ItemSource.Ids(Items));
        model.eval();
        using var items = tensor(new long[] { 1, 2, 3 }, [1, 3]);
        using var lengths = tensor(new long[] { 3 });
        var s0 = model.InitialState(1);
        var (first, s1) = model.Step(s0, items, lengths, tensor(new[] { true }));
        var (continued, s2) = model.Step(s1, items, lengths, tensor(new[] { false }));
        var (restarted, s3) = model.Step(s1, items, lengths, tensor(new[] { true }));
        Assert.True(first.allclose(restarted, rtol: 0, atol: 1e-6));
        Assert.False(first.allclose(continued, rtol: 0, atol: 1e-6));
        foreach (var s in new[] { s0, s1, s2, s3 })
        {
            s.Dispose();
        }
    }

    /// <summary><c>--layer-norm</c> normalizes each convolution's output over its channels: scaling the first
    /// convolution's weights and bias by 3 leaves every output unchanged with it, and changes them without it. Models
    /// without convolutions, and both normalizations at once, are refused.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Step_LayerNorm_OutputsDoNotDependOnTheConvolutionsScale(bool layerNorm)
    {
        TorchRuntime.Seed(9);
        using var model = (HierarchicalModel)ModelFactory.Create(Small(ModelKind.HierTcn) with { LayerNorm = layerNorm }, ItemSource.Ids(Items));
        model.eval();
        Assert.Equal(layerNorm, model.state_dict().ContainsKey("tcn.blocks.1.ln2.weight"));
        using var items = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 0 }, [2, 4]);
        using var lengths = tensor(new long[] { 4, 3 });
        var s0 = model.InitialState(2);
        var (before, s1) = model.Step(s0, items, lengths, tensor(new[] { true, true }));
        using (no_grad())
        {
            var p = model.state_dict();
            p["tcn.blocks.0.conv1.weight"].mul_(3);
            p["tcn.blocks.0.conv1.bias"].mul_(3);
        }
        var (after, s2) = model.Step(s0, items, lengths, tensor(new[] { true, true }));
        // Relative to the outputs' size; with it, only the normalization's epsilon (1e-5 against the channels' variance) remains.
        double diff = (before - after).abs().max().item<float>() / before.abs().max().item<float>();
        if (layerNorm)
        {
            Assert.True(diff < 1e-3, $"relative max diff {diff}");
        }
        else
        {
            Assert.True(diff > 1e-2, $"relative max diff {diff}");
        }
        foreach (var s in new[] { s0, s1, s2 })
        {
            s.Dispose();
        }
        Assert.Throws<Data.UserInputException>(() => (Small(ModelKind.HierGru) with { LayerNorm = true }).Validate());
        Assert.Throws<Data.UserInputException>(() => (Small(ModelKind.Tcn) with { LayerNorm = true, BatchNorm = true }).Validate());
        (Small(ModelKind.Tcn) with { LayerNorm = true }).Validate();
    }

    /// <summary>What the skip whose weight is <paramref name="weight"/> adds to a user's second session (in eval mode):
    /// the user vectors [B, T, d] of <paramref name="ids"/> (B sessions of <paramref name="lengths"/>, padded to one
    /// width) stepped after a first session of the same items, minus the same with that weight zeroed.</summary>
    private static Tensor SkipContribution(HierarchicalModel model, string weight, long[] ids, long[] lengths)
    {
        model.eval();
        int b = lengths.Length;
        using var items = tensor(ids, [b, ids.Length / b]);
        using var lengthsTensor = tensor(lengths);
        var s0 = model.InitialState(b);
        var (_, s1) = model.Step(s0, items, lengthsTensor, tensor(Enumerable.Repeat(true, b).ToArray()));
        var (with, s2) = model.Step(s1, items, lengthsTensor, tensor(new bool[b]));
        using (no_grad())
        {
            model.state_dict()[weight].zero_();
        }
        var (without, s3) = model.Step(s1, items, lengthsTensor, tensor(new bool[b]));
        foreach (var s in new[] { s0, s1, s2, s3 })
        {
            s.Dispose();
        }
        return with - without;
    }

    /// <summary><c>--high-skip</c> adds W h to every row of a session's user vectors: the outputs with the skip's
    /// weights minus those with them zeroed are one non-zero vector per session, the same at every position. Other
    /// models refuse it.</summary>
    [Fact]
    public void Step_HighSkip_AddsOneVectorPerSession()
    {
        TorchRuntime.Seed(11);
        using var model = (HierarchicalModel)ModelFactory.Create(Small(ModelKind.HierTcn) with { HighSkip = true }, ItemSource.Ids(Items));
        using var skip = SkipContribution(model, "high_skip.weight", [1, 2, 3, 4, 5, 6, 7, 0], [4, 3]);
        for (int b = 0; b < 2; b++)
        {
            for (int t = 1; t < 3; t++)
            {
                Assert.True(skip[b, t].allclose(skip[b, 0], rtol: 0, atol: 1e-6));
            }
            Assert.True(skip[b, 0].abs().max().item<float>() > 1e-3);
        }
        Assert.Throws<Data.UserInputException>(() => (Small(ModelKind.Hrnn) with { HighSkip = true }).Validate());
    }

    /// <summary><c>--item-skip</c> adds W x_t to row t's user vector, x_t the row's own input: the start token at row 0,
    /// then the previous item. The outputs with the skip's weights minus those with them zeroed are the same for two
    /// sessions at the rows whose inputs are the same, differ where the inputs differ, and are non-zero. HierTCN and
    /// HierGRU have it; other models refuse it.</summary>
    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    public void Step_ItemSkip_AddsTheMapOfEachRowsInput(ModelKind kind)
    {
        TorchRuntime.Seed(12);
        using var model = (HierarchicalModel)ModelFactory.Create(Small(kind) with { ItemSkip = true, HighSkip = true }, ItemSource.Ids(Items));
        // Rows 0-2 read the start token, item 1 and item 2 in both sessions; row 3 reads item 3 in the first, item 6 in
        // the second.
        using var skip = SkipContribution(model, "item_skip.weight", [1, 2, 3, 4, 1, 2, 6, 5], [4, 4]);
        for (int t = 0; t < 3; t++)
        {
            Assert.True(skip[0, t].allclose(skip[1, t], rtol: 0, atol: 1e-6), $"row {t}");
            Assert.True(skip[0, t].abs().max().item<float>() > 1e-3, $"row {t}");
        }
        Assert.True((skip[0, 3] - skip[1, 3]).abs().max().item<float>() > 1e-3);
        Assert.True((skip[0, 1] - skip[0, 0]).abs().max().item<float>() > 1e-3);
        Assert.Throws<Data.UserInputException>(() => (Small(ModelKind.Hrnn) with { ItemSkip = true }).Validate());
        Assert.Throws<Data.UserInputException>(() => (Small(ModelKind.Tcn) with { ItemSkip = true }).Validate());
    }

    /// <summary><c>--mean-skip</c> adds W m_t to row t's user vector, m_t the mean of the session's input rows 0..t (the
    /// start token, then the previous items): the outputs with the skip's weights minus those with them zeroed equal
    /// that map computed here from the item table, the start token and the weights, at every row of both sessions. HierTCN
    /// needs the session mean with it; models other than HierTCN and HierGRU refuse it.</summary>
    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    public void Step_MeanSkip_AddsTheMapOfTheRunningMean(ModelKind kind)
    {
        TorchRuntime.Seed(13);
        using var model = (HierarchicalModel)ModelFactory.Create(
            Small(kind) with { MeanSkip = true, ItemSkip = true, TcnSessionMean = kind == ModelKind.HierTcn }, ItemSource.Ids(Items));
        long[] ids = [1, 2, 3, 4, 7, 2, 6, 5];
        var weights = model.state_dict();
        using var w = weights["mean_skip.weight"].detach().clone();
        using var skip = SkipContribution(model, "mean_skip.weight", ids, [4, 4]);
        var table = weights["item_embedding.weight"].detach();
        var start = weights["session_start"].detach();
        for (int b = 0; b < 2; b++)
        {
            var sum = start.clone();
            for (int t = 0; t < 4; t++)
            {
                var expected = matmul(w, sum / (t + 1));
                Assert.True(skip[b, t].allclose(expected, rtol: 0, atol: 1e-5), $"session {b}, row {t}");
                sum = sum + table[ids[b * 4 + t]];
            }
        }
        Assert.True(skip.abs().max().item<float>() > 1e-3);
        Assert.Throws<Data.UserInputException>(() => (Small(ModelKind.HierTcn) with { MeanSkip = true, TcnSessionMean = false }).Validate());
        Assert.Throws<Data.UserInputException>(() => (Small(ModelKind.Hrnn) with { MeanSkip = true }).Validate());
        Assert.Throws<Data.UserInputException>(() => (Small(ModelKind.Gru) with { MeanSkip = true }).Validate());
    }
}

using HierTcn.Exporter.Internal;
using HierTcn.Formats.Bundles;
using Xunit.Abstractions;

namespace HierTcn.Exporter.Tests;

/// <summary>Each exported graph, run by ONNX Runtime, against <see cref="Reference"/> (plain C#) on random weights
/// and random padded batches.</summary>
public sealed class GraphReferenceTests(ITestOutputHelper output)
{
    private const int D = 16, L = 2, H = 8;
    private const float Tolerance = 1e-4f;

    public static TheoryData<int, int> Shapes()
    {
        int rf = new TcnShape(4, D + H, 12, 3).ReceptiveField;
        var data = new TheoryData<int, int>();
        foreach (int b in new[] { 1, 7, 64 })
        {
            foreach (int t in new[] { 1, rf / 2, rf })
            {
                data.Add(b, t);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TcnStep_RandomBatch_MatchesReference(int b, int t)
    {
        var w = RandomWeights.For(ModelTypes.HierTcn, seed: 1);
        var batch = Batch.Random(b * 100 + t, b, t, D, L, H);
        using var ort = new Ort(StepGraphs.Build(ModelTypes.HierTcn, w)[GraphRoles.Embed]);
        var got = ort.Run(("items", batch.Items, [b, t, D]), ("lengths", batch.Lengths, [b]), ("state", batch.State, [b, L, H]))["user_embedding"];
        var reference = new Reference(w);
        var want = Enumerable.Range(0, b).SelectMany(i =>
        {
            var top = batch.StateOf(i, L, H)[L - 1];
            return reference.TcnEmbed([.. Enumerable.Range(0, (int)batch.Lengths[i]).Select(j => (float[])[.. batch.Row(i, j, D), .. top])]);
        }).ToArray();
        Report("tcn_step", b, t, got, want);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void LowGruStep_RandomBatch_MatchesReference(int b, int t)
    {
        var w = RandomWeights.For(ModelTypes.HierGru, seed: 2);
        var batch = Batch.Random(b * 100 + t, b, t, D, L, H);
        using var ort = new Ort(StepGraphs.Build(ModelTypes.HierGru, w)[GraphRoles.Embed]);
        var got = ort.Run(("items", batch.Items, [b, t, D]), ("lengths", batch.Lengths, [b]), ("state", batch.State, [b, L, H]))["user_embedding"];
        var reference = new Reference(w);
        var want = Enumerable.Range(0, b).SelectMany(i =>
        {
            var top = batch.StateOf(i, L, H)[L - 1];
            return reference.LowGruEmbed([.. Enumerable.Range(0, (int)batch.Lengths[i]).Select(j => (float[])[.. batch.Row(i, j, D), .. top])], L, H);
        }).ToArray();
        Report("low_gru_step", b, t, got, want);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FlatTcnStep_RandomBatch_MatchesReference(int b, int t)
    {
        var w = RandomWeights.For(ModelTypes.Tcn, seed: 3);
        var batch = Batch.Random(b * 100 + t, b, t, D, L, H);
        using var ort = new Ort(StepGraphs.Build(ModelTypes.Tcn, w)[GraphRoles.Embed]);
        var got = ort.Run(("items", batch.Items, [b, t, D]), ("new_session", batch.Flags, [b, t]), ("lengths", batch.Lengths, [b]))["user_embedding"];
        var reference = new Reference(w);
        var want = Enumerable.Range(0, b).SelectMany(i =>
            reference.TcnEmbed([.. Enumerable.Range(0, (int)batch.Lengths[i]).Select(j => (float[])[.. batch.Row(i, j, D), batch.Flags[i * t + j]])])).ToArray();
        Report("flat_tcn_step", b, t, got, want);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void HrnnSteps_RandomBatch_MatchReference(int b, int t)
    {
        var w = RandomWeights.For(ModelTypes.Hrnn, seed: 8);
        var batch = Batch.Random(b * 100 + t, b, t, D, L, H);
        var graphs = StepGraphs.Build(ModelTypes.Hrnn, w);
        using var embed = new Ort(graphs[GraphRoles.Embed]);
        using var update = new Ort(graphs[GraphRoles.Update]);
        (string, Array, long[])[] inputs = [("items", batch.Items, [b, t, D]), ("lengths", batch.Lengths, [b]), ("state", batch.State, [b, L, H])];
        var reference = new Reference(w);
        var finals = Enumerable.Range(0, b).Select(i => reference.HrnnSession(
            [.. Enumerable.Range(0, (int)batch.Lengths[i]).Select(j => batch.Row(i, j, D))], batch.StateOf(i, L, H))).ToArray();
        Report("session_gru_step", b, t, embed.Run(inputs)["user_embedding"], [.. finals.SelectMany(s => reference.Linear("output", s[^1]))]);
        Report("user_gru_step", b, t, update.Run(inputs)["next_state"],
            [.. Enumerable.Range(0, b).SelectMany(i => reference.GruStack("user_gru", batch.StateOf(i, L, H), finals[i][^1]).SelectMany(h => h))]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void GruStep_RandomBatch_MatchesReference(int b)
    {
        var w = RandomWeights.For(ModelTypes.HierTcn, seed: 4);
        var batch = Batch.Random(b, b, 1, D, L, H);
        using var ort = new Ort(StepGraphs.Build(ModelTypes.HierTcn, w)[GraphRoles.Update]);
        var got = ort.Run(("state", batch.State, [b, L, H]), ("session_mean", batch.Items, [b, D]))["next_state"];
        var reference = new Reference(w);
        var want = Enumerable.Range(0, b).SelectMany(i => reference.GruStack("high_gru", batch.StateOf(i, L, H), batch.Row(i, 0, D)).SelectMany(h => h)).ToArray();
        Report("gru_step", b, 1, got, want);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void FlatGruStep_RandomBatch_MatchesReference(int b)
    {
        var w = RandomWeights.For(ModelTypes.Gru, seed: 5);
        var batch = Batch.Random(b, b, 1, D, L, H);
        using var ort = new Ort(StepGraphs.Build(ModelTypes.Gru, w)[GraphRoles.Update]);
        var got = ort.Run(("state", batch.State, [b, L, H]), ("item", batch.Items, [b, D]), ("new_session", batch.Flags, [b]));
        var reference = new Reference(w);
        var next = Enumerable.Range(0, b).Select(i => reference.GruStack("gru", batch.StateOf(i, L, H), [.. batch.Row(i, 0, D), batch.Flags[i]])).ToArray();
        Report("flat_gru_step next_state", b, 1, got["next_state"], [.. next.SelectMany(s => s.SelectMany(h => h))]);
        Report("flat_gru_step user_embedding", b, 1, got["user_embedding"], [.. next.SelectMany(s => reference.Linear("output", s[^1]))]);
    }

    [Fact]
    public void TcnStep_SessionLongerThanReceptiveField_LastRowsGiveSameOutput()
    {
        var w = RandomWeights.For(ModelTypes.HierTcn, seed: 6);
        int rf = StepGraphs.Dims(ModelTypes.HierTcn, w).ReceptiveField!.Value;
        int n = rf + 17;
        var full = Batch.Random(7, 1, n, D, L, H);
        using var ort = new Ort(StepGraphs.Build(ModelTypes.HierTcn, w)[GraphRoles.Embed]);
        float[] Run(int rows) => ort.Run(("items", full.Items[((n - rows) * D)..], [1, rows, D]), ("lengths", new long[] { rows }, [1]),
            ("state", full.State, [1, L, H]))["user_embedding"];
        var whole = Run(n);
        float truncated = Diff.MaxAbs(whole, Run(rf));
        float tooShort = Diff.MaxAbs(whole, Run(rf - 1));
        output.WriteLine($"receptive field {rf}: {n} rows vs last {rf}: max abs diff {truncated:E3}; vs last {rf - 1}: {tooShort:E3}");
        Assert.True(truncated <= 1e-5f, $"last {rf} rows changed the output by {truncated}");
        Assert.True(tooShort > 0, $"dropping row {rf} should change the output (receptive field is {rf}), diff {tooShort}");
    }

    private void Report(string graph, int b, int t, float[] got, float[] want)
    {
        float diff = Diff.MaxAbs(got, want);
        output.WriteLine($"{graph} B={b} T={t}: ONNX Runtime vs C# reference max abs diff {diff:E3} (max |value| {want.Max(MathF.Abs):F3})");
        Assert.True(diff <= Tolerance, $"{graph} B={b} T={t}: max abs diff {diff} > {Tolerance}");
    }
}

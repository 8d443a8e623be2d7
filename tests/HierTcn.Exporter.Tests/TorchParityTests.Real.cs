using HierTcn.Data.Dataset;
using HierTcn.Trainer.Models;

namespace HierTcn.Exporter.Tests;

/// <summary>Parity on real histories: the sessions of users of the bundled Globo slice (prepared once per class).</summary>
public sealed partial class TorchParityTests : IClassFixture<GloboSlice>
{
    [Theory]
    [InlineData(ModelKind.HierTcn)]
    [InlineData(ModelKind.HierGru)]
    [InlineData(ModelKind.Hrnn)]
    [InlineData(ModelKind.Tcn)]
    [InlineData(ModelKind.Gru)]
    public void Export_GloboSessions_OrtMatchesTorchSharp(ModelKind kind)
    {
        using var data = PreparedDataset.Open(GloboSlice.Directory);
        var sessions = GloboSlice.Sessions(data, 64, kind is ModelKind.Tcn or ModelKind.Gru, out int t);
        output.WriteLine($"Globo slice: {data.ItemCount} items, 64 users, T = {t}");
        Check(ModelOptions.ForKind(kind) with { TcnChannels = 64, LowHidden = 64 }, ItemSource.Ids(data.ItemCount), 3, w => new History(w, 64, t, sessions));
    }
}

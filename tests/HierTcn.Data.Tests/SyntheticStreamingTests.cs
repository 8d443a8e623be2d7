using HierTcn.Data.Synthetic;

namespace HierTcn.Data.Tests;

/// <summary>Measures the live heap, so it runs with no other test allocating beside it.</summary>
[Collection(nameof(SerialCollection))]
public sealed class SyntheticStreamingTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Generate_ManyUsers_HeapStaysFarBelowOutput()
    {
        var options = new SyntheticOptions { Users = 4_000, Items = 400, Dim = 8, Topics = 20 };
        GC.Collect();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        var probe = new SyncProgress(_ => peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline));
        var summary = SyntheticGenerator.Generate(_tmp.File("big"), options, probe);
        // ~15 MB of CSV text goes out while the live heap grows by buffers only (item table, writer buffers).
        Assert.True(peak > 0, "the probe never ran");
        Assert.True(summary.EventsTextBytes > 10_000_000, $"{summary.EventsTextBytes} bytes of text");
        Assert.True(peak * 5 < summary.EventsTextBytes, $"heap grew by {peak} bytes for {summary.EventsTextBytes} bytes of output");
    }

    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}

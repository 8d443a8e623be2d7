using HierTcn.StateStore.Client;
using HierTcn.StateStore.Server;
using HierTcn.StateStore.Tests.Support;
using Xunit.Abstractions;

namespace HierTcn.StateStore.Tests;

/// <summary>
/// The embedded store (the engine inside the inference process) opened with the recovery probe, as the inference
/// server opens it: damage to the store log that makes FASTER's recovery read out of bounds (which would end this
/// test process) is met in the child; the host opens with every acknowledged write. And the probe's command line
/// itself (<see cref="CheckpointProbe.Run"/>).
/// </summary>
public sealed class EmbeddedDamageTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(Damage.RandomAtEnd)]
    [InlineData(Damage.RandomInMiddle)]
    public async Task OpenAsync_StoreLogRandomBytesWithProbe_HostOpensWithNoLoss(Damage damage)
    {
        var options = TestStates.SmallOptions(_dir.Path);
        var probe = new CheckpointProbe(options, typeof(RecoveryProbe).Assembly.Location, "probe");
        var last = new Dictionary<long, long>();
        await using (var store = await EmbeddedStateStore.OpenAsync(options, null, probe.ProbeAsync))
        {
            for (int round = 1; round <= 2; round++)
            {
                for (int u = 0; u < 300; u++)
                {
                    Assert.Equal(StoreStatus.Ok, (await store.PutAsync(TestStates.Make(u, round))).Status);
                    last[u] = round;
                }
                Assert.True(await store.Engine.CheckpointAsync());
            }
            for (int u = 0; u < 100; u++)
            {
                Assert.Equal(StoreStatus.Ok, (await store.PutAsync(TestStates.Make(u, 3))).Status);
                last[u] = 3;
            }
            await store.Engine.AbandonAsync();
        }
        string storeLog = Path.Combine(_dir.Path, "hlog", "hlog.log.0");
        long length = new FileInfo(storeLog).Length;
        FileDamage.RandomBytes(storeLog, damage == Damage.RandomAtEnd ? length - 4096 : length / 2, 4096);

        var logs = new CapturingLoggerFactory();
        await using var reopened = await EmbeddedStateStore.OpenAsync(options, logs, probe.ProbeAsync);

        output.WriteLine(string.Join('\n', logs.Lines));
        // The checkpoints that read the damage failed in the child; recovery went on without them.
        Assert.True(logs.Contains("the recovery probe (a child process) exited with code"), string.Join('\n', logs.Lines));
        foreach (var (user, counter) in last)
        {
            var read = await reopened.GetAsync(new StateKey(TestStates.Model, user));
            Assert.True(read.Status == StoreStatus.Ok, $"user {user}: {read.Status} {read.Error}");
            Assert.Equal(counter, TestStates.CounterOf(read.State!));
        }
        Assert.Equal(StoreStatus.Ok, (await reopened.PutAsync(TestStates.Make(1000, 1))).Status);
    }

    [Fact]
    public async Task Run_IntactCheckpointUnknownOneAndBadArguments_ExitCodes()
    {
        var options = TestStates.SmallOptions(_dir.Path);
        Guid token;
        await using (var engine = await StateStoreEngine.OpenAsync(options))
        {
            Assert.Equal(StoreStatus.Ok, (await engine.PutAsync(TestStates.Make(1, 1))).Status);
            Assert.True(await engine.CheckpointAsync());
            token = engine.RetainedCheckpoints[^1].Token;
        }
        string[] settings = [$"--StateStore:IndexBuckets={options.IndexBuckets}", $"--StateStore:StorePageSizeBits={options.StorePageSizeBits}",
            $"--StateStore:StoreMemorySizeBits={options.StoreMemorySizeBits}", $"--StateStore:SegmentSizeBits={options.SegmentSizeBits}", "--StateStore:UserTtl=1.00:00:00"];

        Assert.True(CheckpointProbe.IsInvoked([CheckpointProbe.Verb, "--data", _dir.Path]));
        Assert.False(CheckpointProbe.IsInvoked(["--urls", "http://127.0.0.1:0"]));
        Assert.Equal(0, CheckpointProbe.Run([CheckpointProbe.Verb, "--data", _dir.Path, "--checkpoint", token.ToString(), .. settings]));
        Assert.Equal(1, CheckpointProbe.Run([CheckpointProbe.Verb, "--data", _dir.Path, "--checkpoint", Guid.NewGuid().ToString(), .. settings]));
        Assert.Equal(2, CheckpointProbe.Run([CheckpointProbe.Verb, "--data", _dir.Path]));
        Assert.Equal(2, CheckpointProbe.Run([CheckpointProbe.Verb, "--data", _dir.Path, "--checkpoint", token.ToString(), "--StateStore:IndexBuckets=many"]));
    }
}

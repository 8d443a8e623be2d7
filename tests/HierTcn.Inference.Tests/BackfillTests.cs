using Grpc.Core;
using HierTcn.Inference.V1;
using HierTcn.StateStore;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Backfill keeps store failures apart from missing sources: a damaged or unreadable source state and a
/// refused write come back as UNAVAILABLE naming the user, never as "missing source" and never as an exception;
/// versions not loaded are INVALID_ARGUMENT.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class BackfillTests(ServedModelFixture model)
{
    private async Task ObserveAsync(RecommenderEngine engine, params long[] users)
    {
        foreach (long user in users)
        {
            var summary = await engine.ObserveAsync([new ObservedEvent(user, model.Data.ItemIds[2], T0, $"e{user}", "v1")]);
            Assert.Equal(ServeStatus.Ok, summary.Status);
        }
    }

    [Fact]
    public async Task BackfillAsync_DamagedSource_SkippedAndNamedNotCountedMissing()
    {
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, "v1", "v2");
        await ObserveAsync(engine, 1, 2, 3);
        store.FailReads(new StateKey("v1", 2), StoreStatus.Damaged);

        var outcome = await engine.BackfillAsync("v1", "v2", [1, 2, 3, 99]);

        Assert.Equal(ServeStatus.Unavailable, outcome.Status);
        Assert.Equal((2, 1, 0), (outcome.Copied, outcome.MissingSource, outcome.AlreadyPresent));
        Assert.Contains("1 user(s) skipped because their v1 state is damaged: 2", outcome.Error);
        Assert.True(store.Contains(new StateKey("v2", 3)), "users after the damaged one are still copied");
        Assert.False(store.Contains(new StateKey("v2", 2)));
    }

    [Theory]
    [InlineData(StoreStatus.Unavailable)]
    [InlineData(StoreStatus.InvalidArgument)]
    public async Task BackfillAsync_SourceReadFails_StopsUnavailableNamingUser(StoreStatus status)
    {
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, "v1", "v2");
        await ObserveAsync(engine, 1, 2);
        store.FailReads(new StateKey("v1", 2), status);

        var outcome = await engine.BackfillAsync("v1", "v2", [1, 2, 3]);

        Assert.Equal(ServeStatus.Unavailable, outcome.Status);
        Assert.Equal((1, 0, 0), (outcome.Copied, outcome.MissingSource, outcome.AlreadyPresent));
        Assert.Contains($"stopped reading user 2's v1 state: state store: {status}", outcome.Error);
        Assert.Contains("safe to retry", outcome.Error);
    }

    [Fact]
    public async Task BackfillAsync_TargetWriteRefused_UnavailableNotException()
    {
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, "v1", "v2");
        await ObserveAsync(engine, 5);
        store.FailWrites(new StateKey("v2", 5), StoreStatus.WritesRefused);

        var outcome = await engine.BackfillAsync("v1", "v2", [5]);

        Assert.Equal(ServeStatus.Unavailable, outcome.Status);
        Assert.Contains("stopped writing user 5's v2 state: state store: WritesRefused", outcome.Error);
    }

    [Fact]
    public async Task BackfillAsync_VersionNotLoaded_InvalidArgument()
    {
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store, "v1", "v2");
        var outcome = await engine.BackfillAsync("v1", "v9", [1]);
        Assert.Equal(ServeStatus.InvalidArgument, outcome.Status);
        Assert.Contains("target_version \"v9\" is not loaded", outcome.Error);
        Assert.Equal(ServeStatus.InvalidArgument, (await engine.BackfillAsync("", "v2", [1])).Status);
    }

    [Fact]
    public async Task Backfill_StoreFailures_UnavailableOverGrpc()
    {
        var store = new ScriptedStateStore();
        await using var server = await TestServer.StartAsync(model, new Dictionary<string, string?>
        {
            ["Recommender:Models:1:Version"] = "v2",
        }, store);
        var c = server.Client;
        await c.ObserveEventsAsync(Batch(Ev(7, model.Data.ItemIds[2], T0, "a", "v1"), Ev(8, model.Data.ItemIds[2], T0, "b", "v1")));
        store.FailReads(new StateKey("v1", 7), StoreStatus.Damaged);
        store.FailWrites(new StateKey("v2", 8), StoreStatus.WritesRefused);

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await c.BackfillAsync(new BackfillRequest { SourceVersion = "v1", TargetVersion = "v2", UserIds = { 7, 8 } }));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("v1 state is damaged: 7", e.Status.Detail);
        Assert.Contains("stopped writing user 8's v2 state: state store: WritesRefused", e.Status.Detail);
    }
}

using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Calls cancelled while they wait for a user's lock give back the model version they hold, so a version
/// swapped out meanwhile is still freed once the call that holds the lock finishes.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class CancellationTests(ServedModelFixture model)
{
    [Fact]
    public async Task ApplyArms_WaitingObserversCancelled_OldVersionFreed()
    {
        await using var store = new ScriptedStateStore();
        await using var engine = ScriptedEngine.Start(model, store);
        const long user = 42;
        long item = model.Data.ItemIds[1];

        // The first call takes the user's lock and waits in the store; the others queue behind it on the lock.
        store.HoldReads();
        var holder = engine.ObserveAsync([new ObservedEvent(user, item, T0, "first")]);
        await ScriptedEngine.WaitUntil(() => store.HeldReads == 1, "the first observer reads the store");
        using var cancel = new CancellationTokenSource();
        var waiters = new List<Task>();
        for (int i = 0; i < 4; i++)
        {
            waiters.Add(engine.ObserveAsync([new ObservedEvent(user, item, T0 + 1000 * (i + 1), $"waiter-{i}")], cancel.Token));
        }
        for (int i = 0; i < 2; i++)
        {
            waiters.Add(engine.EndSessionAsync(user, null, cancel.Token));
        }
        await ScriptedEngine.WaitUntil(() => engine.RequestsHolding("v1") == 1 + waiters.Count, "every waiter holds v1");

        await engine.ApplyArmsAsync([new ModelArmOptions { Version = "v2" }]);
        await cancel.CancelAsync();
        foreach (var waiter in waiters)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        }
        Assert.Equal(1, engine.RetiredStillHeld());
        store.OpenReads();
        Assert.Equal(ServeStatus.Ok, (await holder).Status);

        Assert.Equal(0, engine.RetiredStillHeld());
        Assert.Equal(["v2"], engine.Versions);
    }
}

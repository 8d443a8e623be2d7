using HierTcn.Formats.State;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

/// <summary>The shard under the benchmark's load shape (64 callers, batches of 64 states of about 2 KB) while it
/// checkpoints every second and evicts most of its store log from memory: every write is answered in time.</summary>
public sealed class ServerLoadTests : IDisposable
{
    private const int Callers = 64;
    private const int Batch = 64;
    private const int Users = 16_384;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task BatchPut_ConcurrentLoadAcrossCheckpointsAndEviction_EveryWriteSucceeds()
    {
        int port = ServerProcess.FreePort();
        using var server = ServerProcess.Start(port, _dir.Path, "--StateStore:CheckpointInterval=00:00:01");
        await using var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{port}"], CallTimeout = TimeSpan.FromSeconds(30) });
        var started = DateTime.UtcNow;
        while ((await store.GetAsync(new StateKey(TestStates.Model, 0))).Status != StoreStatus.NotFound)
        {
            Assert.False(server.HasExited || DateTime.UtcNow - started > TimeSpan.FromMinutes(2), "the server did not start:\n" + server.OutputTail);
            await Task.Delay(50);
        }

        long next = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            long first;
            while ((first = Interlocked.Add(ref next, Batch) - Batch) < Users && failures.IsEmpty)
            {
                var states = new List<UserState>(Batch);
                for (long user = first; user < first + Batch; user++)
                    states.Add(TestStates.Make(user, 1, hiddenSize: 425));
                foreach (var result in await store.PutManyAsync(states))
                {
                    if (!result.IsOk)
                        failures.Enqueue($"{result.Status}: {result.Error}");
                }
            }
        })));
        Assert.True(failures.IsEmpty, $"{failures.Count} writes failed, the first: {failures.FirstOrDefault()}\nserver output:\n{server.OutputTail}");
        var read = await store.GetAsync(new StateKey(TestStates.Model, Users - 1));
        Assert.Equal(StoreStatus.Ok, read.Status);
        Assert.Equal(1, TestStates.CounterOf(read.State!));
    }
}

using HierTcn.Formats.State;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

public sealed class ReshardTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ReshardAsync_TwoToThree_EveryStateLandsOnItsNewShardUnchanged()
    {
        var options = TestStates.SmallOptions(_dir.Path);
        string[] sources = [_dir.Sub("s0"), _dir.Sub("s1")];
        string[] targets = [_dir.Sub("t0"), _dir.Sub("t1"), _dir.Sub("t2")];
        var expected = new Dictionary<StateKey, byte[]>();
        var engines = new[] { await StateStoreEngine.OpenAsync(options.WithDataDirectory(sources[0])), await StateStoreEngine.OpenAsync(options.WithDataDirectory(sources[1])) };
        foreach (var model in new[] { "a", "b" })
        {
            for (int u = 0; u < 150; u++)
            {
                var key = new StateKey(model, u * 7919L);
                var state = TestStates.Make(key.UserId, u, model: model);
                var engine = engines[ShardHash.ShardOf(key, 2)];
                await engine.PutAsync(state);
                if (u % 3 == 0)
                    await engine.PutAsync(state);
                expected[key] = UserStateSerializer.Serialize(state);
            }
        }
        foreach (var engine in engines)
            await engine.DisposeAsync();

        var report = await StateStoreResharder.ReshardAsync(sources, targets, options);

        Assert.Equal(expected.Count, report.States);
        Assert.Equal(expected.Count, report.PerTarget.Sum());
        var opened = new List<StateStoreEngine>();
        foreach (var target in targets)
            opened.Add(await StateStoreEngine.OpenAsync(options.WithDataDirectory(target)));
        foreach (var (key, bytes) in expected)
        {
            int shard = ShardHash.ShardOf(key, 3);
            for (int t = 0; t < 3; t++)
            {
                var result = await opened[t].GetAsync(key);
                if (t == shard)
                    Assert.Equal(bytes, UserStateSerializer.Serialize(result.State!));
                else
                    Assert.Equal(StoreStatus.NotFound, result.Status);
            }
        }
        foreach (var engine in opened)
            await engine.DisposeAsync();
    }

    [Fact]
    public async Task ReshardAsync_TargetNotEmpty_RefusesNamingIt()
    {
        Directory.CreateDirectory(_dir.Sub("s0/wal"));
        Directory.CreateDirectory(_dir.Sub("t0"));
        File.WriteAllText(_dir.Sub("t0/x"), "x");
        var error = await Assert.ThrowsAsync<ArgumentException>(() => StateStoreResharder.ReshardAsync([_dir.Sub("s0")], [_dir.Sub("t0")], TestStates.SmallOptions(_dir.Path)));
        Assert.Contains("t0", error.Message);
        Assert.Contains("not empty", error.Message);
    }

    [Fact]
    public void Jump_GrowingShardCount_MovesOnlyToNewShard()
    {
        int moved = 0;
        for (long u = 0; u < 10_000; u++)
        {
            var key = new StateKey("m", u);
            int before = ShardHash.ShardOf(key, 4), after = ShardHash.ShardOf(key, 5);
            if (before != after)
            {
                Assert.Equal(4, after);
                moved++;
            }
        }
        Assert.InRange(moved, 1500, 2500);
    }

    [Fact]
    public void KeyHash_KnownValues_AreStable()
    {
        // Pinned: changing the hash silently moves users between shards.
        Assert.Equal(ShardHash.KeyHash("m1", 42), new StateKey("m1", 42).StableHash);
        Assert.Equal(ShardHash.Jump(ShardHash.KeyHash("m1", 42), 16), ShardHash.ShardOf(new StateKey("m1", 42), 16));
        Assert.Equal(0, ShardHash.Jump(123, 1));
        Assert.Equal(KnownShards, Enumerable.Range(0, 8).Select(u => ShardHash.ShardOf(new StateKey("v1", u), 10)).ToArray());
    }

    private static readonly int[] KnownShards = [3, 9, 6, 3, 8, 1, 9, 5];
}

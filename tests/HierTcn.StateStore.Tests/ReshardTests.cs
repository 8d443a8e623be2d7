using System.Security.Cryptography;
using HierTcn.Formats.State;
using HierTcn.StateStore.Server;
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
    public async Task ReshardAsync_SourcesStoppedUncleanAndDamaged_SourceFilesByteIdentical()
    {
        // Opening either source would write: both need their WAL replayed (then a fresh checkpoint, the older
        // checkpoints purged, the WAL truncated), and s1's newest checkpoint is damaged (recovery falls back and
        // removes it). The re-shard recovers copies, probed in a child process as the shard does.
        var options = TestStates.SmallOptions(_dir.Path);
        string[] sources = [_dir.Sub("s0"), _dir.Sub("s1")];
        string[] targets = [_dir.Sub("t0"), _dir.Sub("t1"), _dir.Sub("t2")];
        var expected = new Dictionary<StateKey, byte[]>();
        Guid newestOfS1 = Guid.Empty;
        for (int s = 0; s < sources.Length; s++)
        {
            var engine = await StateStoreEngine.OpenAsync(options.WithDataDirectory(sources[s]));
            var keys = Enumerable.Range(0, 400).Select(u => new StateKey(TestStates.Model, u * 7919L)).Where(k => ShardHash.ShardOf(k, 2) == s).ToList();
            for (int round = 0; round < 2; round++)
            {
                foreach (var key in keys.Skip(round * keys.Count / 3))
                {
                    var state = TestStates.Make(key.UserId, round);
                    Assert.Equal(StoreStatus.Ok, (await engine.PutAsync(state)).Status);
                    expected[key] = UserStateSerializer.Serialize(state);
                }
                if (round == 0)
                    Assert.True(await engine.CheckpointAsync());
            }
            newestOfS1 = engine.RetainedCheckpoints[^1].Token;
            await engine.AbandonAsync();
        }
        FileDamage.TruncateTail(Path.Combine(sources[1], "checkpoints", "index-checkpoints", newestOfS1.ToString(), "ht.dat.0"), 4096);
        var before = sources.Select(Snapshot).ToList();

        var report = await StateStoreResharder.ReshardAsync(sources, targets, options, checkpointProbeFor: copy => new RecoveryProbe(copy).ProbeAsync);

        Assert.Equal(before, sources.Select(Snapshot).ToList());
        Assert.Equal(expected.Count, report.States);
        Assert.Empty(Directory.EnumerateDirectories(_dir.Path, ".t0.reshard-*"));
        for (int t = 0; t < targets.Length; t++)
        {
            await using var engine = await StateStoreEngine.OpenAsync(options.WithDataDirectory(targets[t]));
            foreach (var (key, bytes) in expected.Where(e => ShardHash.ShardOf(e.Key, 3) == t))
                Assert.Equal(bytes, UserStateSerializer.Serialize((await engine.GetAsync(key)).State!));
        }
    }

    [Fact]
    public async Task ReshardAsync_SourceOpenByARunningStore_RefusesNamingIt()
    {
        var options = TestStates.SmallOptions(_dir.Path);
        await using var live = await StateStoreEngine.OpenAsync(options.WithDataDirectory(_dir.Sub("s0")));
        Assert.Equal(StoreStatus.Ok, (await live.PutAsync(TestStates.Make(1, 1))).Status);

        var error = await Assert.ThrowsAsync<IOException>(() => StateStoreResharder.ReshardAsync([_dir.Sub("s0")], [_dir.Sub("t0")], options));

        Assert.Contains("s0", error.Message);
        Assert.Contains("in use by a running shard", error.Message);
        Assert.Empty(Directory.EnumerateDirectories(_dir.Path, ".t0.reshard-*"));
        Assert.Equal(StoreStatus.Ok, (await live.GetAsync(new StateKey(TestStates.Model, 1))).Status);
    }

    /// <summary>Every file and folder under <paramref name="directory"/> with its length and SHA-256.</summary>
    private static List<string> Snapshot(string directory)
        => [.. Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => File.Exists(path)
                ? $"{Path.GetRelativePath(directory, path)} {new FileInfo(path).Length} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))}"
                : Path.GetRelativePath(directory, path) + "/")];

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

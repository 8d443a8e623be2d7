using HierTcn.Formats.Snapshots;
using HierTcn.Inference.Internal;

namespace HierTcn.Inference.Tests;

/// <summary>When the in-pod TCN buffer cache may resume a user's entry: only when the request's state continues what
/// the entry was computed from.</summary>
public sealed class TcnStepCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hiertcn-step-cache-").FullName;
    private readonly SnapshotHandle _snapshot;
    private readonly SnapshotHandle _other;

    public TcnStepCacheTests()
    {
        long[] ids = [10, 11, 12, 13];
        float[] vectors = [.. Enumerable.Range(0, 8).Select(i => (float)i)];
        _snapshot = new SnapshotHandle(ItemSnapshot.Open(ItemSnapshotDirectory.Publish(_dir, "a", ids, vectors, 2)));
        _other = new SnapshotHandle(ItemSnapshot.Open(ItemSnapshotDirectory.Publish(_dir, "b", ids, vectors, 2)));
    }

    [Fact]
    public void TryResume_SessionGrownByListedItems_ReturnsBuffersAndNewItems()
    {
        var cache = new TcnStepCache(16, 3, 2);
        cache.Store(Job(7, [10, 11], 2), [1f, 2f], [5f, 6f, 7f], [8f, 9f]);
        var buffers = new float[3];
        var embedding = new float[2];

        Assert.True(cache.TryResume(Job(7, [10, 11, 12, 13], 4), [1f, 2f], buffers, embedding, out var added));
        Assert.Equal(new long[] { 12, 13 }, added.ToArray());
        Assert.Equal(new float[] { 5, 6, 7 }, buffers);
        Assert.Equal(new float[] { 8, 9 }, embedding);

        Assert.True(cache.TryResume(Job(7, [10, 11], 2), [1f, 2f], buffers, embedding, out added));
        Assert.Empty(added.ToArray());
    }

    [Fact]
    public void TryResume_StateThatDoesNotContinueTheEntry_Misses()
    {
        var cache = new TcnStepCache(16, 3, 2);
        cache.Store(Job(7, [10, 11], 2), [1f, 2f], [5f, 6f, 7f], [8f, 9f]);
        var buffers = new float[3];
        var embedding = new float[2];

        Assert.False(cache.TryResume(Job(8, [10, 11], 2), [1f, 2f], buffers, embedding, out _)); // another user
        Assert.False(cache.TryResume(Job(7, [10, 11], 2), [1f, 3f], buffers, embedding, out _)); // the session was closed
        Assert.False(cache.TryResume(Job(7, [10], 1), [1f, 2f], buffers, embedding, out _)); // fewer items
        Assert.False(cache.TryResume(Job(7, [10, 13, 12], 3), [1f, 2f], buffers, embedding, out _)); // not the entry's last item
        Assert.False(cache.TryResume(Job(7, [12, 13], 5), [1f, 2f], buffers, embedding, out _)); // new items no longer listed
        Assert.False(cache.TryResume(Job(7, [10, 11], 2, _other), [1f, 2f], buffers, embedding, out _)); // another snapshot
        Assert.Equal(new float[3], buffers);
    }

    private EmbedJob Job(long user, long[] items, int count, SnapshotHandle? snapshot = null) => new()
    {
        UserId = user,
        SessionCount = count,
        SessionItems = items,
        IncludeStart = items.Length == count,
        Hidden = [],
        Snapshot = snapshot ?? _snapshot,
    };

    public void Dispose()
    {
        _snapshot.Retire();
        _other.Retire();
        Directory.Delete(_dir, recursive: true);
    }
}

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
    public void TryResume_NothingAddedSinceTheEntry_CopiesOnlyTheEmbedding()
    {
        var cache = new TcnStepCache(16, 3, 2);
        cache.Store(Job(7, [10, 11], 2), [1f, 2f], [5f, 6f, 7f], [8f, 9f]);
        float[] buffers = [-1f, -1f, -1f];
        var embedding = new float[2];

        Assert.True(cache.TryResume(Job(7, [10, 11], 2), [1f, 2f], buffers, embedding, out var added));

        Assert.Empty(added.ToArray());
        Assert.Equal(new float[] { 8, 9 }, embedding);
        Assert.Equal(new float[] { -1, -1, -1 }, buffers); // no row to step, so the buffers are not needed
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

    [Fact]
    public void TryResume_ItemInsertedInTheMiddle_Misses()
    {
        // Session x, z, z, then y arrives stamped between x and z: the state lists x, y, z, z. Its item before the one
        // added is the entry's last item (z), yet stepping z from the entry would embed x, z, z, z.
        var cache = new TcnStepCache(16, 3, 2);
        cache.Store(Job(7, [10, 12, 12], 3), [1f, 2f], [5f, 6f, 7f], [8f, 9f]);
        var buffers = new float[3];
        var embedding = new float[2];

        Assert.False(cache.TryResume(Job(7, [10, 11, 12, 12], 4), [1f, 2f], buffers, embedding, out _));
        Assert.False(cache.TryResume(Job(7, [11, 10, 12, 12], 4), [1f, 2f], buffers, embedding, out _)); // inserted first
        Assert.False(cache.TryResume(Job(7, [10, 12, 11, 12, 13], 5), [1f, 2f], buffers, embedding, out _)); // and one appended
        // Inserting z right before z lists exactly what appending z would: the steps are the same.
        Assert.True(cache.TryResume(Job(7, [10, 12, 12, 12], 4), [1f, 2f], buffers, embedding, out var added));
        Assert.Equal(new long[] { 12 }, added.ToArray());
    }

    [Fact]
    public void TryResume_BoundedList_ResumesOnlyWhenTheListSlidByTheNewItems()
    {
        // A list bound of 3: the entry listed 11, 12, 13 of a 5-item session.
        var cache = new TcnStepCache(16, 3, 2);
        cache.Store(Job(7, [11, 12, 13], 5), [1f, 2f], [5f, 6f, 7f], [8f, 9f]);
        var buffers = new float[3];
        var embedding = new float[2];

        Assert.True(cache.TryResume(Job(7, [12, 13, 10], 6), [1f, 2f], buffers, embedding, out var added));
        Assert.Equal(new long[] { 10 }, added.ToArray());
        Assert.True(cache.TryResume(Job(7, [13, 10, 11], 7), [1f, 2f], buffers, embedding, out added));
        Assert.Equal(new long[] { 10, 11 }, added.ToArray());
        // An item older than the listed ones joined the session: the list did not slide.
        Assert.False(cache.TryResume(Job(7, [11, 12, 13], 6), [1f, 2f], buffers, embedding, out _));
        // An item inserted inside the list pushed the oldest out.
        Assert.False(cache.TryResume(Job(7, [12, 10, 13], 6), [1f, 2f], buffers, embedding, out _));
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

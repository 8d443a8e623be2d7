using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;

namespace HierTcn.Inference.Internal;

internal sealed partial class ServedModel
{
    /// <summary>Swapped-out snapshots still mapped because requests hold them.</summary>
    public int RetiredSnapshotsHeld
    {
        get
        {
            lock (_retiredSnapshots)
            {
                return _retiredSnapshots.Count(r => !r.IsFreed);
            }
        }
    }

    private static SnapshotHandle OpenSnapshot(ModelBundle bundle, string directory)
    {
        var snapshot = ItemSnapshot.OpenCurrent(directory);
        try
        {
            bundle.CheckSnapshot(snapshot);
            return new SnapshotHandle(snapshot);
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
    }

    /// <summary>A reference to the current snapshot; the caller releases it.</summary>
    public SnapshotHandle AcquireSnapshot()
    {
        while (true)
        {
            var s = _snapshot;
            if (s.TryAcquire())
            {
                return s;
            }
        }
    }

    /// <summary>Follows the snapshot directory's <c>CURRENT</c> pointer: when it names another file, maps and checks
    /// it, swaps it in and retires the old one (unmapped when its last request finishes). False when unchanged.</summary>
    public bool RefreshSnapshot()
    {
        var current = _snapshot;
        string path = ItemSnapshotDirectory.ResolveCurrent(SnapshotsDirectory);
        if (path == current.Path)
        {
            return false;
        }
        var next = OpenSnapshot(Bundle, SnapshotsDirectory);
        var old = Interlocked.Exchange(ref _snapshot, next);
        EngineLog.SnapshotSwapped(_log, Version, next.Version, next.Snapshot.Count, old.Version);
        old.Retire();
        lock (_retiredSnapshots)
        {
            _retiredSnapshots.RemoveAll(r => r.IsFreed);
            _retiredSnapshots.Add(old);
        }
        return true;
    }
}

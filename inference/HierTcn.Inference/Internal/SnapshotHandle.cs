using HierTcn.Formats.Snapshots;

namespace HierTcn.Inference.Internal;

/// <summary>A memory-mapped item snapshot shared by the requests that use it; unmapped when retired and drained.</summary>
internal sealed class SnapshotHandle(ItemSnapshot snapshot) : RefCounted
{
    public ItemSnapshot Snapshot { get; } = snapshot;

    /// <summary>The snapshot version (its file name without extension).</summary>
    public string Version { get; } = System.IO.Path.GetFileNameWithoutExtension(snapshot.Path);

    public string Path => Snapshot.Path;

    protected override void Free() => Snapshot.Dispose();
}

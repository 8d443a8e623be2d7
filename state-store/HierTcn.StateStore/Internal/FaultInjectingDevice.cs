using FASTER.core;

namespace HierTcn.StateStore.Internal;

/// <summary>Test hook: a device that forwards to another one until <see cref="FailWrites"/> is set, then completes
/// every write with ENOSPC (28), as a full disk does.</summary>
internal sealed class FaultInjectingDevice(IDevice inner) : StorageDeviceBase(inner.FileName, inner.SectorSize, inner.Capacity)
{
    private const uint NoSpaceLeftOnDevice = 28;

    /// <summary>When true, writes fail.</summary>
    public volatile bool FailWrites;

    public override void Initialize(long segmentSize, LightEpoch? epoch = null, bool omitSegmentIdFromFilename = false)
    {
        base.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);
        inner.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);
    }

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
    {
        if (FailWrites)
            callback(NoSpaceLeftOnDevice, 0, context);
        else
            inner.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytesToWrite, callback, context);
    }

    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context)
        => inner.ReadAsync(segmentId, sourceAddress, destinationAddress, readLength, callback, context);

    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
        => inner.RemoveSegmentAsync(segment, callback, result);

    public override long GetFileSize(int segment) => inner.GetFileSize(segment);

    public override void Dispose() => inner.Dispose();
}

using FASTER.core;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// FASTER's log as the write-ahead log, with group commit: writers enqueue, ask for a commit and wait; one
/// committer loop commits everything enqueued so far in one device write, so concurrent writers share commits.
/// After a failed commit the log refuses writes until restart (FASTER's log enters a permanent error state).
/// </summary>
internal sealed class WriteAheadLog : IAsyncDisposable
{
    private readonly FasterLog _log;
    private readonly IDevice _device;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _committer;
    private TaskCompletionSource _commitDone = NewSignal();
    private long _durableUntil;
    private int _commitRequested;
    private volatile string? _fault;

    private WriteAheadLog(FasterLog log, IDevice device)
    {
        _log = log;
        _device = device;
        _durableUntil = log.CommittedUntilAddress;
        _committer = Task.Run(CommitLoopAsync);
    }

    /// <summary>Opens (recovering) the log in <paramref name="directory"/>. An entry must fit in a page; the log
    /// keeps four pages in memory.</summary>
    /// <param name="wrapDevice">Test hook: wraps the log's device (fault injection).</param>
    public static WriteAheadLog Open(string directory, int pageSizeBits, int segmentSizeBits, Func<IDevice, IDevice>? wrapDevice)
    {
        Directory.CreateDirectory(directory);
        IDevice device = Devices.CreateLogDevice(Path.Combine(directory, "wal.log"), preallocateFile: false, recoverDevice: true);
        if (wrapDevice is not null)
            device = wrapDevice(device);
        try
        {
            var log = new FasterLog(new FasterLogSettings
            {
                LogDevice = device,
                LogCommitDir = directory,
                PageSizeBits = pageSizeBits,
                MemorySizeBits = pageSizeBits + 2,
                SegmentSizeBits = segmentSizeBits,
                LogChecksum = LogChecksumType.PerEntry,
                AutoCommit = false,
                TolerateDeviceFailure = false,
            });
            return new WriteAheadLog(log, device);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    public long BeginAddress => _log.BeginAddress;

    public long TailAddress => _log.TailAddress;

    public long DurableUntil => Volatile.Read(ref _durableUntil);

    /// <summary>Why writes are refused; null while the log is healthy.</summary>
    public string? Fault => _fault;

    /// <summary>Appends an entry in memory; it is durable once <see cref="WaitDurableAsync"/> returns null.</summary>
    public long Enqueue(byte[] entry) => _log.Enqueue(entry);

    /// <summary>Waits until the entry at <paramref name="address"/> is committed; returns null then, or the fault
    /// that stopped commits.</summary>
    public async ValueTask<string?> WaitDurableAsync(long address)
    {
        while (Volatile.Read(ref _durableUntil) <= address)
        {
            var done = Volatile.Read(ref _commitDone);
            if (Volatile.Read(ref _durableUntil) > address)
                break;
            if (_fault is { } fault)
                return fault;
            RequestCommit();
            await done.Task.ConfigureAwait(false);
        }
        return null;
    }

    /// <summary>Drops entries before the page holding <paramref name="address"/>; persisted by the next commit.</summary>
    public void TruncateBefore(long address)
    {
        if (address > _log.BeginAddress)
        {
            _log.TruncateUntilPageStart(address);
            RequestCommit();
        }
    }

    /// <summary>Reads committed entries from <paramref name="from"/> to the tail. Stops at the first damaged entry and
    /// reports where and why through <paramref name="damage"/>.</summary>
    public IEnumerable<(long Address, byte[] Entry)> Read(long from, Action<long, string> damage)
    {
        using var iterator = _log.Scan(from, _log.CommittedUntilAddress);
        while (true)
        {
            byte[] entry;
            int length;
            long address;
            try
            {
                if (!iterator.GetNext(out entry, out length, out address))
                    yield break;
            }
            catch (Exception ex) when (ex is FasterException or InvalidOperationException)
            {
                damage(iterator.CurrentAddress, ex.Message);
                yield break;
            }
            yield return (address, length == entry.Length ? entry : entry[..length]);
        }
    }

    /// <summary>Marks the log faulted (writes refused); used when an I/O error surfaces outside a commit.</summary>
    public void SetFault(string reason) => _fault ??= reason;

    public async ValueTask DisposeAsync()
    {
        if (_fault is null)
        {
            try
            {
                await _log.CommitAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _fault = ex.Message;
            }
        }
        _stop.Cancel();
        _signal.Release();
        try
        {
            await _committer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _log.Dispose();
        _device.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }

    private void RequestCommit()
    {
        if (Interlocked.Exchange(ref _commitRequested, 1) == 0)
            _signal.Release();
    }

    private async Task CommitLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            await _signal.WaitAsync(_stop.Token).ConfigureAwait(false);
            Volatile.Write(ref _commitRequested, 0);
            if (_fault is null)
            {
                try
                {
                    await _log.CommitAsync(_stop.Token).ConfigureAwait(false);
                    Volatile.Write(ref _durableUntil, _log.CommittedUntilAddress);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    _fault = $"write-ahead log commit failed: {ex.Message}";
                }
            }
            Interlocked.Exchange(ref _commitDone, NewSignal()).TrySetResult();
        }
        Interlocked.Exchange(ref _commitDone, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

using Microsoft.Win32.SafeHandles;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// The write-ahead log: checksummed frames (<see cref="WalFrame"/>) appended to segment files opened write-through,
/// with group commit: writers enqueue, ask for a commit and wait; one committer loop writes everything enqueued so
/// far with one write per segment touched, so concurrent writers share commits. After a failed write the log refuses
/// writes until restart. There is no commit record to trust: recovery (<see cref="WalScanner"/>) reads the frames
/// themselves; <see cref="WalTailMarker"/> only lets it notice a missing end.
/// </summary>
internal sealed class WriteAheadLog : IAsyncDisposable
{
    private readonly string _directory;
    private readonly long _segmentSize;
    private readonly object _appendLock = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly WalTailMarker _marker;
    private readonly Task _committer;
    private List<(long Address, byte[] Frame)> _pending = [];
    private TaskCompletionSource _commitDone = NewSignal();
    private SafeFileHandle? _segment;
    private long _segmentIndex = -1;
    private long _begin;
    private long _tail;
    private long _nextSequence;
    private long _durableUntil;
    private int _commitRequested;
    private volatile string? _fault;

    private WriteAheadLog(string directory, int segmentSizeBits, long begin, long tail, long nextSequence)
    {
        _directory = directory;
        _segmentSize = 1L << segmentSizeBits;
        _begin = begin;
        _tail = tail;
        _durableUntil = tail;
        _nextSequence = nextSequence;
        _marker = WalTailMarker.Open(directory);
        _committer = Task.Run(CommitLoopAsync);
    }

    /// <summary>Largest segment size (log2 bytes) the WAL uses, whatever the store's segment size: a segment is read
    /// through one memory mapping at recovery.</summary>
    public const int MaxSegmentSizeBits = 30;

    /// <summary>Recovers the log in <paramref name="directory"/> from <paramref name="from"/> (entries before it are
    /// in the checkpoint), handing each readable entry to <paramref name="onEntry"/>, and opens it for writing after
    /// the last readable entry (never before <paramref name="from"/>). Unreadable bytes after the last readable entry
    /// are cut off. <paramref name="expectedSequence"/> is the checkpoint's next sequence number (-1: unknown).</summary>
    public static (WriteAheadLog Log, WalScanResult Scan, (long Tail, long LastSequence)? Marker, string? MarkerProblem) Open(
        string directory, int segmentSizeBits, long from, long expectedSequence, Action<long, byte[]> onEntry)
    {
        Directory.CreateDirectory(directory);
        var marker = WalTailMarker.Read(directory, out var markerProblem);
        var scan = WalScanner.Scan(directory, segmentSizeBits, from, expectedSequence, onEntry);
        long lostAtEnd = marker is { } m && m.LastSequence >= scan.NextSequence ? m.LastSequence - scan.NextSequence + 1 : 0;
        if (lostAtEnd > 0)
            scan = scan with { LostEntries = scan.LostEntries + lostAtEnd };
        long nextSequence = Math.Max(scan.NextSequence, marker is { } k ? k.LastSequence + 1 : 0);

        // Writing resumes at the tail: drop whatever unreadable bytes lie after it, so they are never mistaken for
        // entries (nor reported again) by a later recovery.
        long segmentSize = 1L << segmentSizeBits;
        long begin = scan.Tail;
        foreach (var (index, path) in WalSegments.List(directory))
        {
            long start = index * segmentSize;
            if (start >= scan.Tail)
            {
                File.Delete(path);
                continue;
            }
            begin = Math.Min(begin, start);
            if (start + segmentSize > scan.Tail)
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                if (RandomAccess.GetLength(handle) > scan.Tail - start)
                    RandomAccess.SetLength(handle, scan.Tail - start);
            }
        }
        return (new WriteAheadLog(directory, segmentSizeBits, begin, scan.Tail, nextSequence), scan, marker, markerProblem);
    }

    /// <summary>Start of the oldest entry kept.</summary>
    public long BeginAddress => Volatile.Read(ref _begin);

    /// <summary>Where the next entry goes.</summary>
    public long TailAddress => Volatile.Read(ref _tail);

    /// <summary>Sequence number of the next entry. Read under the engine's exclusive checkpoint gate it belongs
    /// with <see cref="TailAddress"/>: the entry written at that address gets this number.</summary>
    public long NextSequence => Volatile.Read(ref _nextSequence);

    public long DurableUntil => Volatile.Read(ref _durableUntil);

    /// <summary>Why writes are refused; null while the log is healthy.</summary>
    public string? Fault => _fault;

    /// <summary>Test hook: the next device write fails as a full disk would.</summary>
    internal bool FailWrites { get; set; }

    /// <summary>Appends an entry in memory and returns its address; it is durable once
    /// <see cref="WaitDurableAsync"/> returns null.</summary>
    /// <exception cref="IOException">The log refuses writes.</exception>
    public long Enqueue(byte[] payload)
    {
        var frame = new byte[WalFrame.SizeOf(payload.Length)];
        lock (_appendLock)
        {
            if (_fault is { } fault)
                throw new IOException(fault);
            long address = _tail;
            if (address / _segmentSize != (address + frame.Length - 1) / _segmentSize)
                address = (address / _segmentSize + 1) * _segmentSize;
            WalFrame.Write(frame, _nextSequence, payload);
            _nextSequence++;
            _pending.Add((address, frame));
            Volatile.Write(ref _tail, address + frame.Length);
            return address;
        }
    }

    /// <summary>Waits until the entry at <paramref name="address"/> is written; returns null then, or the fault
    /// that stopped writes.</summary>
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

    /// <summary>Deletes the segment files that hold only entries before <paramref name="address"/>.</summary>
    public void TruncateBefore(long address)
    {
        long keepFrom = address / _segmentSize;
        foreach (var (index, path) in WalSegments.List(_directory))
        {
            if (index >= keepFrom)
                break;
            File.Delete(path);
        }
        long begin = Math.Min(keepFrom * _segmentSize, TailAddress);
        if (begin > BeginAddress)
            Volatile.Write(ref _begin, begin);
    }

    /// <summary>Marks the log faulted (writes refused); used when an error surfaces outside a commit.</summary>
    public void SetFault(string reason) => _fault ??= reason;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _signal.Release();
        try
        {
            await _committer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        if (_fault is null)
            Commit();
        _segment?.Dispose();
        _marker.Dispose();
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
            try
            {
                await _signal.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            Volatile.Write(ref _commitRequested, 0);
            if (_fault is null)
                Commit();
            Interlocked.Exchange(ref _commitDone, NewSignal()).TrySetResult();
        }
        Interlocked.Exchange(ref _commitDone, NewSignal()).TrySetResult();
    }

    /// <summary>Writes every pending frame, then moves <see cref="DurableUntil"/> past them. Committer only.</summary>
    private void Commit()
    {
        List<(long Address, byte[] Frame)> batch;
        long end, lastSequence;
        lock (_appendLock)
        {
            if (_pending.Count == 0)
                return;
            batch = _pending;
            _pending = [];
            end = _tail;
            lastSequence = _nextSequence - 1;
        }
        try
        {
            for (int i = 0; i < batch.Count;)
            {
                // Frames of one segment are contiguous: one write for all of them.
                long index = batch[i].Address / _segmentSize;
                int j = i;
                long bytes = 0;
                while (j < batch.Count && batch[j].Address / _segmentSize == index)
                    bytes += batch[j++].Frame.Length;
                var buffer = new byte[bytes];
                long at = 0;
                for (int k = i; k < j; k++)
                {
                    batch[k].Frame.CopyTo(buffer, at);
                    at += batch[k].Frame.Length;
                }
                if (FailWrites)
                    throw new IOException("No space left on device (injected)");
                RandomAccess.Write(SegmentHandle(index), buffer, batch[i].Address - index * _segmentSize);
                i = j;
            }
            Volatile.Write(ref _durableUntil, end);
            _marker.Write(end, lastSequence);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _fault ??= $"write-ahead log write failed: {ex.Message}";
        }
    }

    private SafeFileHandle SegmentHandle(long index)
    {
        if (index != _segmentIndex || _segment is null)
        {
            _segment?.Dispose();
            _segment = null;
            // Write-through (O_SYNC on Linux): a write returns once the device has it.
            _segment = File.OpenHandle(WalSegments.PathOf(_directory, index), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, FileOptions.WriteThrough);
            _segmentIndex = index;
        }
        return _segment;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

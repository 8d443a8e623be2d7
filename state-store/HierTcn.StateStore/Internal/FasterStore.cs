using System.Collections.Concurrent;
using FASTER.core;
using Microsoft.Extensions.Logging;

using Functions = FASTER.core.SpanByteFunctions_ByteArrayOutput<FASTER.core.Empty>;
using ReadSession = FASTER.core.ClientSession<FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByte, HierTcn.StateStore.Internal.ReadBuffer, FASTER.core.Empty, HierTcn.StateStore.Internal.PooledReadFunctions>;
using Session = FASTER.core.ClientSession<FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByte, byte[], FASTER.core.Empty, FASTER.core.SpanByteFunctions_ByteArrayOutput<FASTER.core.Empty>>;

namespace HierTcn.StateStore.Internal;

/// <summary>
/// The FASTER key-value store with byte-array keys and values: a pool of sessions (a FASTER session serves one
/// thread at a time), reads that went to disk completed synchronously, and full fold-over checkpoints.
/// </summary>
internal sealed class FasterStore : IDisposable
{
    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly IDevice _device;
    private readonly ICheckpointManager _checkpoints;
    private readonly ConcurrentBag<Session> _sessions = [];
    private readonly ConcurrentBag<ReadSession> _readSessions = [];

    private FasterStore(FasterKV<SpanByte, SpanByte> kv, IDevice device, ICheckpointManager checkpoints)
    {
        _kv = kv;
        _device = device;
        _checkpoints = checkpoints;
    }

    public static FasterStore Create(StateStoreOptions options, string hlogDirectory, string checkpointDirectory, ILoggerFactory? loggerFactory)
    {
        Directory.CreateDirectory(hlogDirectory);
        Directory.CreateDirectory(checkpointDirectory);
        var device = Devices.CreateLogDevice(Path.Combine(hlogDirectory, "hlog.log"), preallocateFile: false, recoverDevice: true);
        var checkpoints = new DeviceLogCommitCheckpointManager(
            new LocalStorageNamedDeviceFactory(), new DefaultCheckpointNamingScheme(checkpointDirectory), removeOutdated: false);
        try
        {
            var kv = new FasterKV<SpanByte, SpanByte>(
                options.IndexBuckets,
                new LogSettings
                {
                    LogDevice = device,
                    PageSizeBits = options.StorePageSizeBits,
                    MemorySizeBits = options.StoreMemorySizeBits,
                    SegmentSizeBits = options.SegmentSizeBits,
                },
                new CheckpointSettings { CheckpointManager = checkpoints, RemoveOutdated = false },
                loggerFactory: loggerFactory);
            return new FasterStore(kv, device, checkpoints);
        }
        catch
        {
            checkpoints.Dispose();
            device.Dispose();
            throw;
        }
    }

    /// <summary>Checkpoint tokens, newest first.</summary>
    public IReadOnlyList<Guid> CheckpointTokens() => [.. _checkpoints.GetLogCheckpointTokens()];

    public void Recover(Guid token) => _kv.Recover(token);

    public byte[]? RecoveredCookie => _kv.RecoveredCommitCookie;

    public void Purge(Guid token) => _checkpoints.Purge(token);

    public long LogBytes => _kv.Log.TailAddress - _kv.Log.BeginAddress;

    public bool TryInitiateCheckpoint(byte[] cookie, out Guid token)
    {
        _kv.CommitCookie = cookie;
        return _kv.TryInitiateFullCheckpoint(out token, CheckpointType.FoldOver);
    }

    public ValueTask CompleteCheckpointAsync(CancellationToken cancellationToken) => _kv.CompleteCheckpointAsync(cancellationToken);

    /// <summary>Reads the value under <paramref name="key"/>, which must be pinned (see <see cref="PinnedKey"/>): a
    /// read that goes to disk completes asynchronously, without blocking a thread.</summary>
    public async ValueTask<byte[]?> ReadAsync(byte[] key)
    {
        var session = Rent();
        try
        {
            var (status, output) = IssueRead(session, key);
            if (status.IsPending)
            {
                using var outputs = await session.CompletePendingWithOutputsAsync().ConfigureAwait(false);
                while (outputs.Next())
                {
                    status = outputs.Current.Status;
                    output = outputs.Current.Output;
                }
            }
            return status.Found ? output : null;
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>Reads the value under <paramref name="buffer"/>'s key into the buffer (<see cref="ReadBuffer.Found"/>
    /// says whether there was one): no allocation when it is in memory; a read that goes to disk completes
    /// asynchronously.</summary>
    public async ValueTask ReadIntoAsync(ReadBuffer buffer)
    {
        buffer.Found = false;
        var session = _readSessions.TryTake(out var s) ? s : _kv.For(new PooledReadFunctions()).NewSession<PooledReadFunctions>();
        try
        {
            var status = IssueRead(session, buffer);
            if (status.IsPending)
            {
                using var outputs = await session.CompletePendingWithOutputsAsync().ConfigureAwait(false);
                while (outputs.Next())
                    status = outputs.Current.Status;
            }
            buffer.Found &= status.Found;
        }
        finally
        {
            _readSessions.Add(session);
        }
    }

    private static unsafe Status IssueRead(ReadSession session, ReadBuffer buffer)
    {
        fixed (byte* k = buffer.Key)
        {
            var keySpan = SpanByte.FromPointer(k, buffer.KeyLength);
            return session.Read(ref keySpan, ref buffer);
        }
    }

    /// <summary>A copy of <paramref name="key"/> in pinned memory, so FASTER may hold on to it across an await.</summary>
    public static byte[] PinnedKey(ReadOnlySpan<byte> key)
    {
        var pinned = GC.AllocateUninitializedArray<byte>(key.Length, pinned: true);
        key.CopyTo(pinned);
        return pinned;
    }

    private static unsafe (Status Status, byte[] Output) IssueRead(Session session, byte[] key)
    {
        fixed (byte* k = key)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            byte[] output = null!;
            var status = session.Read(ref keySpan, ref output);
            return (status, output);
        }
    }

    public unsafe void Upsert(byte[] key, byte[] value)
    {
        var session = Rent();
        try
        {
            fixed (byte* k = key, v = value)
            {
                var keySpan = SpanByte.FromPointer(k, key.Length);
                var valueSpan = SpanByte.FromPointer(v, value.Length);
                var status = session.Upsert(ref keySpan, ref valueSpan);
                if (status.IsPending)
                    session.CompletePending(wait: true);
            }
        }
        finally
        {
            Return(session);
        }
    }

    public unsafe void Delete(byte[] key)
    {
        var session = Rent();
        try
        {
            fixed (byte* k = key)
            {
                var keySpan = SpanByte.FromPointer(k, key.Length);
                var status = session.Delete(ref keySpan);
                if (status.IsPending)
                    session.CompletePending(wait: true);
            }
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>Calls <paramref name="visit"/> with every live key and value (copies), until it returns false.</summary>
    public void ForEachLive(Func<byte[], byte[], bool> visit)
    {
        var session = Rent();
        try
        {
            using var iterator = session.Iterate();
            while (iterator.GetNext(out _))
            {
                var key = iterator.GetKey().AsReadOnlySpan().ToArray();
                var value = iterator.GetValue().AsReadOnlySpan().ToArray();
                if (!visit(key, value))
                    break;
            }
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>Moves the live records below the read-only address to the tail and shifts the log's begin address
    /// past them; the files are truncated by the next checkpoint.</summary>
    public void Compact()
    {
        var session = Rent();
        try
        {
            session.Compact(_kv.Log.SafeReadOnlyAddress, CompactionType.Scan);
        }
        finally
        {
            Return(session);
        }
    }

    public void Dispose()
    {
        while (_sessions.TryTake(out var session))
            session.Dispose();
        while (_readSessions.TryTake(out var readSession))
            readSession.Dispose();
        _kv.Dispose();
        _checkpoints.Dispose();
        _device.Dispose();
    }

    private Session Rent() => _sessions.TryTake(out var session) ? session : _kv.For(new Functions()).NewSession<Functions>();

    private void Return(Session session) => _sessions.Add(session);
}

using System.Diagnostics;
using System.Threading.Channels;

namespace HierTcn.Inference.Batching;

/// <summary>
/// The online queue-based mini-batch generator (paper section 3.6.3): concurrent callers enqueue requests; workers
/// take up to <see cref="MicroBatcherOptions.MaxBatchSize"/> of them, waiting at most
/// <see cref="MicroBatcherOptions.MaxWaitMicroseconds"/> after the first (asleep until a request or the end of that
/// window, never spinning), drop those whose deadline has passed or whose caller gave up, and hand the rest to the
/// batch handler as one batch.
/// The queue is bounded: a full queue is reported, never waited on. Thread-safe.
/// </summary>
/// <typeparam name="TIn">A request.</typeparam>
/// <typeparam name="TOut">Its result.</typeparam>
public sealed class MicroBatcher<TIn, TOut> : IAsyncDisposable
{
    /// <summary>Computes one batch: fills <c>results[i]</c> for <c>requests[i]</c>. An exception fails every request
    /// of the batch with it.</summary>
    public delegate void BatchHandler(ReadOnlySpan<TIn> requests, Span<TOut> results);

    private static readonly BatchResult<TOut> s_expired = new(BatchOutcome.Expired, default);
    private static readonly BatchResult<TOut> s_cancelled = new(BatchOutcome.Cancelled, default);
    private static readonly Task<BatchResult<TOut>> s_notQueued = Task.FromResult(s_cancelled);

    private readonly MicroBatcherOptions _options;
    private readonly BatchHandler _handler;
    private readonly Action<BatchStats>? _onBatch;
    private readonly TimeProvider _clock;
    private readonly Channel<Pending> _queue;
    private readonly Task[] _workers;
    private int _depth;
    private volatile bool _closed;

    /// <param name="options">Batch size, wait, queue capacity, workers.</param>
    /// <param name="handler">Computes one batch.</param>
    /// <param name="onBatch">Called after every batch, for metrics.</param>
    /// <param name="clock">The clock deadlines are compared with; default the system clock.</param>
    public MicroBatcher(MicroBatcherOptions options, BatchHandler handler, Action<BatchStats>? onBatch = null, TimeProvider? clock = null)
    {
        options.Validate();
        _options = options;
        _handler = handler;
        _onBatch = onBatch;
        _clock = clock ?? TimeProvider.System;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = options.Workers == 1,
            SingleWriter = false,
        });
        _workers = new Task[options.Workers];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = Task.Factory.StartNew(WorkerAsync, CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Requests waiting now.</summary>
    public int QueueDepth => Volatile.Read(ref _depth);

    /// <summary>Offers a request. On <see cref="EnqueueStatus.Accepted"/>, <paramref name="result"/> completes with
    /// the computed value, or with <see cref="BatchOutcome.Expired"/> when <paramref name="deadlineUtc"/> passed before
    /// its batch ran, or with <see cref="BatchOutcome.Cancelled"/> when <paramref name="cancellation"/> fired first; it
    /// faults only when the batch handler throws. Otherwise <paramref name="result"/> is an already completed
    /// <see cref="BatchOutcome.Cancelled"/>.</summary>
    public EnqueueStatus TryEnqueue(TIn request, DateTime deadlineUtc, CancellationToken cancellation, out Task<BatchResult<TOut>> result)
    {
        var pending = new Pending(request, deadlineUtc, cancellation);
        result = pending.Completion.Task;
        Interlocked.Increment(ref _depth);
        if (_queue.Writer.TryWrite(pending))
        {
            return EnqueueStatus.Accepted;
        }
        Interlocked.Decrement(ref _depth);
        result = s_notQueued;
        return _closed ? EnqueueStatus.Closed : EnqueueStatus.QueueFull;
    }

    private async Task WorkerAsync()
    {
        var batch = new List<Pending>(_options.MaxBatchSize);
        var requests = new TIn[_options.MaxBatchSize];
        var results = new TOut[_options.MaxBatchSize];
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            await GatherAsync(reader, batch).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                continue;
            }
            int depth = Interlocked.Add(ref _depth, -batch.Count);
            int expired = 0;
            int n = 0;
            var now = _clock.GetUtcNow().UtcDateTime;
            for (int j = 0; j < batch.Count; j++)
            {
                var p = batch[j];
                if (p.DeadlineUtc <= now)
                {
                    p.Completion.TrySetResult(s_expired);
                    expired++;
                }
                else if (p.Cancellation.IsCancellationRequested)
                {
                    p.Completion.TrySetResult(s_cancelled);
                    expired++;
                }
                else
                {
                    batch[n] = p;
                    requests[n++] = p.Request;
                }
            }
            long start = Stopwatch.GetTimestamp();
            if (n > 0)
            {
                try
                {
                    _handler(requests.AsSpan(0, n), results.AsSpan(0, n));
                    for (int i = 0; i < n; i++)
                    {
                        batch[i].Completion.TrySetResult(new BatchResult<TOut>(BatchOutcome.Computed, results[i]));
                    }
                }
                catch (Exception e)
                {
                    for (int i = 0; i < n; i++)
                    {
                        batch[i].Completion.TrySetException(e);
                    }
                }
                Array.Clear(requests, 0, n);
                Array.Clear(results, 0, n);
            }
            _onBatch?.Invoke(new BatchStats(n, expired, depth, Stopwatch.GetElapsedTime(start)));
        }
    }

    private async ValueTask GatherAsync(ChannelReader<Pending> reader, List<Pending> batch)
    {
        long first = 0;
        long maxWaitTicks = _options.MaxWaitMicroseconds * Stopwatch.Frequency / 1_000_000;
        while (batch.Count < _options.MaxBatchSize)
        {
            if (reader.TryRead(out var p))
            {
                if (batch.Count == 0)
                {
                    first = Stopwatch.GetTimestamp();
                }
                batch.Add(p);
                continue;
            }
            if (batch.Count == 0)
            {
                return;
            }
            long remaining = maxWaitTicks - (Stopwatch.GetTimestamp() - first);
            if (remaining <= 0)
            {
                return;
            }
            // Sleep until the next request or the end of the window, never spin: the cores run the model. Timers tick in
            // milliseconds, so a window under 1 ms can last up to about 1 ms when no request comes.
            var remainingTime = TimeSpan.FromTicks(remaining * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
            using var cts = new CancellationTokenSource(remainingTime);
            try
            {
                if (!await reader.WaitToReadAsync(cts.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Stops accepting requests, lets the workers finish what is queued, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _closed = true;
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private sealed class Pending(TIn request, DateTime deadlineUtc, CancellationToken cancellation)
    {
        public TIn Request { get; } = request;
        public DateTime DeadlineUtc { get; } = deadlineUtc;
        public CancellationToken Cancellation { get; } = cancellation;
        public TaskCompletionSource<BatchResult<TOut>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

using HierTcn.Inference.Batching;

namespace HierTcn.Inference.Tests;

public sealed class MicroBatcherTests
{
    [Fact]
    public async Task TryEnqueue_ConcurrentRequests_AreBatchedAndEachGetsItsResult()
    {
        var sizes = new List<int>();
        await using var batcher = new MicroBatcher<int, int>(
            new MicroBatcherOptions { MaxBatchSize = 16, MaxWaitMicroseconds = 20_000 },
            (req, res) =>
            {
                for (int i = 0; i < req.Length; i++)
                {
                    res[i] = req[i] * 2;
                }
            },
            s => { lock (sizes) { sizes.Add(s.Size); } });
        var tasks = new List<Task<BatchResult<int>>>();
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(EnqueueStatus.Accepted, batcher.TryEnqueue(i, DateTime.UtcNow.AddSeconds(30), default, out var t));
            tasks.Add(t);
        }
        var results = await Task.WhenAll(tasks);
        Assert.All(results, r => Assert.Equal(BatchOutcome.Computed, r.Outcome));
        Assert.Equal(Enumerable.Range(0, 64).Select(i => i * 2), results.Select(r => r.Value));
        lock (sizes)
        {
            Assert.Equal(64, sizes.Sum());
            Assert.True(sizes.Max() > 1, "requests queued together must share a batch");
            Assert.True(sizes.Max() <= 16);
        }
    }

    [Fact]
    public async Task TryEnqueue_QueueFull_ReportsQueueFull()
    {
        using var gate = new ManualResetEventSlim(false);
        await using var batcher = new MicroBatcher<int, int>(
            new MicroBatcherOptions { MaxBatchSize = 1, MaxWaitMicroseconds = 0, QueueCapacity = 2 },
            (req, res) => gate.Wait(TimeSpan.FromSeconds(10)));
        var statuses = new List<EnqueueStatus>();
        for (int i = 0; i < 10; i++)
        {
            statuses.Add(batcher.TryEnqueue(i, DateTime.UtcNow.AddSeconds(30), default, out _));
        }
        gate.Set();
        Assert.Contains(EnqueueStatus.QueueFull, statuses);
        Assert.Equal(EnqueueStatus.Accepted, statuses[0]);
    }

    [Fact]
    public async Task TryEnqueue_ExpiredDeadline_CompletesExpiredNotComputed()
    {
        int computed = 0;
        await using var batcher = new MicroBatcher<int, int>(
            new MicroBatcherOptions { MaxBatchSize = 8, MaxWaitMicroseconds = 0 },
            (req, res) => Interlocked.Add(ref computed, req.Length));
        batcher.TryEnqueue(1, DateTime.UtcNow.AddSeconds(-1), default, out var expired);
        var result = await expired;
        Assert.Equal(BatchOutcome.Expired, result.Outcome);
        Assert.True(expired.IsCompletedSuccessfully, "an expired request completes with a status, not an exception");
        batcher.TryEnqueue(2, DateTime.UtcNow.AddSeconds(30), default, out var live);
        Assert.Equal(new BatchResult<int>(BatchOutcome.Computed, 0), await live);
        Assert.Equal(1, Volatile.Read(ref computed));
    }

    [Fact]
    public async Task TryEnqueue_CallerCancelled_CompletesCancelledNotComputed()
    {
        int computed = 0;
        using var gate = new ManualResetEventSlim(false);
        await using var batcher = new MicroBatcher<int, int>(
            new MicroBatcherOptions { MaxBatchSize = 1, MaxWaitMicroseconds = 0 },
            (req, res) =>
            {
                gate.Wait(TimeSpan.FromSeconds(10));
                Interlocked.Add(ref computed, req.Length);
            });
        using var cancel = new CancellationTokenSource();
        batcher.TryEnqueue(1, DateTime.UtcNow.AddSeconds(30), default, out var first);
        batcher.TryEnqueue(2, DateTime.UtcNow.AddSeconds(30), cancel.Token, out var second);
        await cancel.CancelAsync();
        gate.Set();
        Assert.Equal(BatchOutcome.Computed, (await first).Outcome);
        Assert.Equal(BatchOutcome.Cancelled, (await second).Outcome);
        Assert.True(second.IsCompletedSuccessfully);
        Assert.Equal(1, Volatile.Read(ref computed));
    }

    [Fact]
    public async Task TryEnqueue_HandlerThrows_FailsThatBatchOnly()
    {
        await using var batcher = new MicroBatcher<int, int>(
            new MicroBatcherOptions { MaxBatchSize = 1, MaxWaitMicroseconds = 0 },
            (req, res) =>
            {
                if (req[0] < 0)
                {
                    throw new InvalidOperationException("bad");
                }
                res[0] = req[0];
            });
        batcher.TryEnqueue(-1, DateTime.UtcNow.AddSeconds(30), default, out var bad);
        await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        batcher.TryEnqueue(5, DateTime.UtcNow.AddSeconds(30), default, out var good);
        Assert.Equal(5, (await good).Value);
    }

    [Fact]
    public async Task TryEnqueue_AfterDispose_ReportsClosed()
    {
        var batcher = new MicroBatcher<int, int>(new MicroBatcherOptions(), (req, res) => { });
        await batcher.DisposeAsync();
        Assert.Equal(EnqueueStatus.Closed, batcher.TryEnqueue(1, DateTime.UtcNow.AddSeconds(1), default, out _));
    }
}

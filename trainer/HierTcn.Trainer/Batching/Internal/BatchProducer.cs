using System.Threading.Channels;

namespace HierTcn.Trainer.Batching.Internal;

/// <summary>Runs a batch-producing loop on its own thread behind a bounded channel, so the training thread never waits
/// on batch assembly while the channel holds batches. Enumerate once; disposing stops the producer.</summary>
internal sealed class BatchProducer<T> : IEnumerable<T>, IDisposable
{
    private readonly Channel<T> _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private Exception? _failure;

    public BatchProducer(Func<Action<T>, CancellationToken, int> produce, int capacity)
    {
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var writer = _channel.Writer;
        CancellationToken token = _stop.Token;
        _thread = new Thread(() =>
        {
            try
            {
                produce(b => writer.WriteAsync(b, token).AsTask().GetAwaiter().GetResult(), token);
                writer.Complete();
            }
            catch (OperationCanceledException)
            {
                writer.TryComplete();
            }
            catch (Exception e)
            {
                _failure = e;
                writer.TryComplete(e);
            }
        })
        { IsBackground = true, Name = "hiertcn-batches" };
        _thread.Start();
    }

    public IEnumerator<T> GetEnumerator()
    {
        var reader = _channel.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var batch))
            {
                yield return batch;
            }
        }
        if (_failure is not null)
        {
            throw new InvalidOperationException($"batch producer failed: {_failure.Message}", _failure);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _stop.Cancel();
        _channel.Reader.TryRead(out _);
        _thread.Join();
        _stop.Dispose();
    }
}

using HierTcn.Formats.State;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;

namespace HierTcn.Inference.Server.Internal;

/// <summary>Stands in for an embedded store whose files are damaged beyond what recovery bridges without loss: every
/// call answers <see cref="StoreStatus.Unavailable"/> with <paramref name="reason"/> (what is damaged and the repair
/// command), as a shard that refuses to serve does. Recommend then answers from the start state (degraded) and events
/// are refused; nothing is written, so the directory stays as it was for the repair.</summary>
internal sealed class RefusingStateStore(string reason) : IStateStore
{
    private readonly string _error = "the embedded state store refuses to serve: " + reason;

    public ValueTask<ReadResult> GetAsync(StateKey key, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read());

    public ValueTask<IReadOnlyList<ReadResult>> GetManyAsync(IReadOnlyList<StateKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return ValueTask.FromResult<IReadOnlyList<ReadResult>>([.. keys.Select(_ => Read())]);
    }

    public ValueTask<WriteResult> PutAsync(UserState state, CancellationToken cancellationToken = default) => ValueTask.FromResult(Write());

    public ValueTask<IReadOnlyList<WriteResult>> PutManyAsync(IReadOnlyList<UserState> states, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        return ValueTask.FromResult<IReadOnlyList<WriteResult>>([.. states.Select(_ => Write())]);
    }

    public ValueTask<WriteResult> CompareAndSwapAsync(UserState state, ulong expectedVersion, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Write());

    public ValueTask<WriteResult> DeleteAsync(StateKey key, CancellationToken cancellationToken = default) => ValueTask.FromResult(Write());

    public ValueTask<WriteResult> ConfirmDurableAsync(StateKey key, ulong version, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Write());

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private ReadResult Read() => new(StoreStatus.Unavailable, null, _error);

    private WriteResult Write() => new(StoreStatus.Unavailable, 0, _error);
}

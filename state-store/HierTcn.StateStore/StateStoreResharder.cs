using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace HierTcn.StateStore;

/// <summary>
/// Offline re-sharding: copies every live state from N shard directories into M new ones, each state to the shard
/// <see cref="ShardHash.ShardOf"/> picks for M shards, versions and write times preserved. The shards must be
/// stopped; the sources are only read. See state-store/README.md for the procedure.
/// </summary>
public static class StateStoreResharder
{
    /// <summary>Re-shards <paramref name="sourceDirectories"/> into <paramref name="targetDirectories"/> (which must
    /// not exist or be empty), opening each with <paramref name="template"/>'s settings.</summary>
    /// <exception cref="ArgumentException">A directory list is invalid; the message names the directory.</exception>
    /// <exception cref="IOException">A target refused a write (for example a full disk).</exception>
    public static async Task<ReshardReport> ReshardAsync(IReadOnlyList<string> sourceDirectories, IReadOnlyList<string> targetDirectories,
        StateStoreOptions template, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sourceDirectories);
        ArgumentNullException.ThrowIfNull(targetDirectories);
        ArgumentNullException.ThrowIfNull(template);
        CheckDirectories(sourceDirectories, targetDirectories);

        var targets = new StateStoreEngine[targetDirectories.Count];
        var perTarget = new long[targets.Length];
        long total = 0;
        try
        {
            for (int i = 0; i < targets.Length; i++)
                targets[i] = await StateStoreEngine.OpenAsync(template.WithDataDirectory(targetDirectories[i]), loggerFactory, null, cancellationToken).ConfigureAwait(false);
            foreach (var source in sourceDirectories)
            {
                await using var engine = await StateStoreEngine.OpenAsync(template.WithDataDirectory(source), loggerFactory, null, cancellationToken).ConfigureAwait(false);
                var items = Channel.CreateBounded<(StateKey Key, byte[] State, long WrittenAtMs)>(4096);
                var producer = Task.Run(() =>
                {
                    try
                    {
                        engine.ForEachLiveState((key, state, writtenAtMs) =>
                        {
                            while (!items.Writer.TryWrite((key, state, writtenAtMs)))
                                items.Writer.WaitToWriteAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
                            return true;
                        });
                        items.Writer.Complete();
                    }
                    catch (Exception ex)
                    {
                        items.Writer.Complete(ex);
                    }
                }, cancellationToken);
                var batch = new List<Task<WriteResult>>(256);
                await foreach (var (key, state, writtenAtMs) in items.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    int shard = ShardHash.ShardOf(key, targets.Length);
                    perTarget[shard]++;
                    batch.Add(targets[shard].RestoreAsync(key, state, writtenAtMs).AsTask());
                    if (batch.Count == batch.Capacity)
                        total += await DrainAsync(batch).ConfigureAwait(false);
                }
                total += await DrainAsync(batch).ConfigureAwait(false);
                await producer.ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var target in targets)
            {
                if (target is not null)
                    await target.DisposeAsync().ConfigureAwait(false);
            }
        }
        return new ReshardReport(total, perTarget);
    }

    private static async Task<long> DrainAsync(List<Task<WriteResult>> batch)
    {
        var results = await Task.WhenAll(batch).ConfigureAwait(false);
        batch.Clear();
        foreach (var result in results)
        {
            if (!result.IsOk)
                throw new IOException($"a target shard refused a state ({result.Status}): {result.Error}");
        }
        return results.Length;
    }

    private static void CheckDirectories(IReadOnlyList<string> sources, IReadOnlyList<string> targets)
    {
        if (sources.Count == 0)
            throw new ArgumentException("no source shard directory given");
        if (targets.Count == 0)
            throw new ArgumentException("no target shard directory given");
        var all = sources.Concat(targets).Select(Path.GetFullPath).ToList();
        if (all.Distinct().Count() != all.Count)
            throw new ArgumentException("a directory is listed twice (sources and targets must all differ)");
        foreach (var source in sources)
        {
            if (!Directory.Exists(Path.Combine(source, "wal")) && !Directory.Exists(Path.Combine(source, "checkpoints")))
                throw new ArgumentException($"source shard directory '{source}' holds no state store (no wal/ or checkpoints/ in it)");
        }
        foreach (var target in targets)
        {
            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
                throw new ArgumentException($"target shard directory '{target}' is not empty; re-sharding writes only into new, empty directories");
        }
    }
}

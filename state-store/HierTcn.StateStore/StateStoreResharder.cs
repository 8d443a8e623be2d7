using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace HierTcn.StateStore;

/// <summary>
/// Offline re-sharding: copies every live state from N shard directories into M new ones, each state to the shard
/// <see cref="ShardHash.ShardOf"/> picks for M shards, versions and write times preserved. The shards must be
/// stopped. The sources are only read: recovering a store writes (a fresh checkpoint, old ones purged, a damaged WAL
/// tail cut, damaged files moved aside), so each source's files are copied into a scratch folder next to the first
/// target and the copy is recovered and read, then deleted. See state-store/README.md for the procedure.
/// </summary>
public static class StateStoreResharder
{
    /// <summary>What a source's copy holds: the folders of a data directory the engine recovers from.</summary>
    private static readonly string[] StoreFolders = ["hlog", "checkpoints", "wal"];

    /// <summary>Re-shards <paramref name="sourceDirectories"/> into <paramref name="targetDirectories"/> (which must
    /// not exist or be empty), opening each with <paramref name="template"/>'s settings. Needs free space for a copy
    /// of one source at a time beside the first target. <paramref name="checkpointProbeFor"/> (optional) gives the
    /// recovery probe for a source copy's options, as for
    /// <see cref="StateStoreEngine.OpenAsync(StateStoreOptions, ILoggerFactory?, TimeProvider?, Func{Guid, CancellationToken, Task{string?}}?, CancellationToken)"/>.</summary>
    /// <exception cref="ArgumentException">A directory list is invalid; the message names the directory.</exception>
    /// <exception cref="IOException">A source is in use by a running shard, or a target refused a write (for example
    /// a full disk).</exception>
    /// <exception cref="StateStoreDamagedException">A source cannot be recovered without loss; it is left as it
    /// was.</exception>
    public static async Task<ReshardReport> ReshardAsync(IReadOnlyList<string> sourceDirectories, IReadOnlyList<string> targetDirectories,
        StateStoreOptions template, ILoggerFactory? loggerFactory = null,
        Func<StateStoreOptions, Func<Guid, CancellationToken, Task<string?>>>? checkpointProbeFor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sourceDirectories);
        ArgumentNullException.ThrowIfNull(targetDirectories);
        ArgumentNullException.ThrowIfNull(template);
        CheckDirectories(sourceDirectories, targetDirectories);
        foreach (var source in sourceDirectories)
            LockAgainstShard(source)?.Dispose();

        var targets = new StateStoreEngine[targetDirectories.Count];
        var perTarget = new long[targets.Length];
        long total = 0;
        var first = Path.GetFullPath(targetDirectories[0]).TrimEnd(Path.DirectorySeparatorChar);
        string scratch = Path.Combine(Path.GetDirectoryName(first)!, $".{Path.GetFileName(first)}.reshard-{Guid.NewGuid():N}");
        try
        {
            for (int i = 0; i < targets.Length; i++)
                targets[i] = await StateStoreEngine.OpenAsync(template.WithDataDirectory(targetDirectories[i]), loggerFactory, null, cancellationToken).ConfigureAwait(false);
            foreach (var source in sourceDirectories)
            {
                CopyStore(source, scratch);
                var copy = template.WithDataDirectory(scratch);
                await using (var engine = await StateStoreEngine.OpenAsync(copy, loggerFactory, null, checkpointProbeFor?.Invoke(copy), cancellationToken).ConfigureAwait(false))
                    total += await CopyStatesAsync(engine, targets, perTarget, cancellationToken).ConfigureAwait(false);
                Directory.Delete(scratch, recursive: true);
            }
        }
        finally
        {
            foreach (var target in targets)
            {
                if (target is not null)
                    await target.DisposeAsync().ConfigureAwait(false);
            }
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
        }
        return new ReshardReport(total, perTarget);
    }

    private static async Task<long> CopyStatesAsync(StateStoreEngine engine, StateStoreEngine[] targets, long[] perTarget, CancellationToken cancellationToken)
    {
        long total = 0;
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
        return total;
    }

    /// <summary>Copies the store folders of <paramref name="source"/> into <paramref name="copy"/>, opening every
    /// source file for reading only. A running shard holds its WAL commit file open (a shared lock); taking an
    /// exclusive one here fails then, so a live source is refused instead of copied mid-write.</summary>
    private static void CopyStore(string source, string copy)
    {
        using var inUse = LockAgainstShard(source);
        Directory.CreateDirectory(copy);
        foreach (var folder in StoreFolders)
        {
            var from = Path.Combine(source, folder);
            if (!Directory.Exists(from))
                continue;
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                var to = Path.Combine(copy, folder, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                if (inUse is not null && Path.GetFullPath(file) == inUse.Name)
                {
                    // The lock is this process's own: a second open of the file would conflict with it.
                    using var target = new FileStream(to, FileMode.CreateNew, FileAccess.Write);
                    inUse.Position = 0;
                    inUse.CopyTo(target);
                }
                else
                {
                    File.Copy(file, to);
                }
            }
        }
    }

    /// <summary>An exclusive lock on the WAL commit file of <paramref name="source"/> (null when it has none).</summary>
    /// <exception cref="IOException">A running shard holds the file.</exception>
    private static FileStream? LockAgainstShard(string source)
    {
        var marker = Path.Combine(source, "wal", "tail");
        if (!File.Exists(marker))
            return null;
        try
        {
            return new FileStream(marker, FileMode.Open, FileAccess.Read, FileShare.None);
        }
        catch (IOException ex) when (ex is not FileNotFoundException)
        {
            throw new IOException($"source shard directory '{source}' is in use by a running shard (its write-ahead log is open); stop the shard first", ex);
        }
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

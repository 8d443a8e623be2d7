using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using HierTcn.Inference.Sessions;
using HierTcn.Inference.V1;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>
/// Traffic through the inference service for the state tier tests: writers, each owning its users, send one event per
/// ObserveEvents call (a new event id each, timestamps one second apart so every event joins the user's open
/// session), taking their users in turn, and resend a failed event at its user's next turn until it is acknowledged
/// (a resent event that was applied is a duplicate, which acknowledges it too); a prober asks Recommend for <see cref="Victim"/> every 100 ms. Afterwards
/// <see cref="CountLostAsync"/> reads every user's state from the store and counts acknowledged events it does not
/// remember (a user's open session remembers every event id, up to 256; a user gets at most
/// <see cref="EventsPerUser"/> events, then the writer moves to a new user).
/// </summary>
internal sealed class EventLoad(Recommender.RecommenderClient client, IReadOnlyList<long> itemIds, int writers, int usersEach, long firstUser)
{
    public const int EventsPerUser = 200;

    private readonly ConcurrentDictionary<long, ConcurrentQueue<string>> _acknowledged = new();
    private readonly ConcurrentQueue<Probe> _probes = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _acked;
    private long _failedCalls;
    private long _appliedAcks;
    private int _mostFailuresOfOneEvent;

    /// <summary>The user the prober asks about: writer 0's first user.</summary>
    public long Victim => firstUser;

    public long Acknowledged => Interlocked.Read(ref _acked);

    public long FailedCalls => Interlocked.Read(ref _failedCalls);

    /// <summary>Events acknowledged by the call that applied them (the others were found applied by an earlier call
    /// that failed, and acknowledged as duplicates).</summary>
    public long AcknowledgedAsApplied => Interlocked.Read(ref _appliedAcks);

    /// <summary>The most failed attempts before one event was acknowledged (0: every event on its first call).</summary>
    public int MostFailuresOfOneEvent => Volatile.Read(ref _mostFailuresOfOneEvent);

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Events of <paramref name="user"/> acknowledged so far.</summary>
    public int AcknowledgedOf(long user) => _acknowledged.TryGetValue(user, out var ids) ? ids.Count : 0;

    public IReadOnlyCollection<Probe> Probes => _probes;

    /// <summary>Runs the writers and the prober until <paramref name="stop"/>.</summary>
    public Task RunAsync(CancellationToken stop)
        => Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteAsync(w, stop), CancellationToken.None))
            .Append(Task.Run(() => ProbeAsync(stop), CancellationToken.None)));

    /// <summary>Waits until <paramref name="count"/> events are acknowledged in all; throws after
    /// <paramref name="timeout"/>.</summary>
    public async Task WaitAcknowledgedAsync(long count, TimeSpan timeout)
    {
        var deadline = _clock.Elapsed + timeout;
        while (Acknowledged < count)
        {
            if (_clock.Elapsed > deadline)
                throw new TimeoutException($"{Acknowledged} events acknowledged after {timeout}, waiting for {count} ({FailedCalls} failed calls)");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until a Recommend for <see cref="Victim"/> asked after <paramref name="after"/> answers normally
    /// (not degraded); throws after <paramref name="timeout"/>.</summary>
    public async Task WaitNormalAnswerAsync(TimeSpan after, TimeSpan timeout)
    {
        var deadline = _clock.Elapsed + timeout;
        while (!_probes.Any(p => p.AskedAt > after && p.Outcome == ProbeOutcome.Normal))
        {
            if (_clock.Elapsed > deadline)
                throw new TimeoutException($"no normal Recommend for user {Victim} since {after.TotalSeconds:F1} s: {Describe(after)}");
            await Task.Delay(50);
        }
    }

    /// <summary>The most probes in a row (asked after <paramref name="after"/>) with an outcome in
    /// <paramref name="outcomes"/>, and when the longest run began.</summary>
    public (int Count, TimeSpan Since) LongestRun(TimeSpan after, params ProbeOutcome[] outcomes)
    {
        (int Count, TimeSpan Since) longest = (0, TimeSpan.Zero), current = (0, TimeSpan.Zero);
        foreach (var probe in _probes.Where(p => p.AskedAt > after))
        {
            current = outcomes.Contains(probe.Outcome) ? (current.Count + 1, current.Count == 0 ? probe.AskedAt : current.Since) : (0, TimeSpan.Zero);
            if (current.Count > longest.Count)
                longest = current;
        }
        return longest;
    }

    /// <summary>The probes asked after <paramref name="after"/>, counted by outcome.</summary>
    public string Describe(TimeSpan after) => string.Join(", ", _probes.Where(p => p.AskedAt > after).GroupBy(p => p.Outcome).Select(g => $"{g.Key} {g.Count()}"));

    /// <summary>Acknowledged events that <paramref name="store"/> does not have (a user whose state cannot be read
    /// counts all of its events as lost); the users whose state could not be read are listed in the exception of the
    /// caller's assertion through <paramref name="unreadable"/>.</summary>
    public async Task<int> CountLostAsync(IStateStore store, ICollection<string> unreadable)
    {
        int lost = 0;
        foreach (var (user, ids) in _acknowledged)
        {
            var read = await store.GetAsync(new StateKey("v1", user));
            if (read.Status != StoreStatus.Ok)
            {
                unreadable.Add($"user {user}: {read.Status} {read.Error}");
                lost += ids.Count;
                continue;
            }
            lost += ids.Count(id => !read.State!.HasAppliedEvent(EventIds.Hash(id)));
        }
        return lost;
    }

    private async Task WriteAsync(int writer, CancellationToken stop)
    {
        // Users in turn; a user's events in order: an event that failed is sent again at that user's next turn, so
        // the users of a shard that is down do not hold up the others.
        var next = new int[usersEach];
        var failures = new int[usersEach];
        var generation = new int[usersEach];
        var random = new Random(writer);
        for (int turn = 0; !stop.IsCancellationRequested; turn = (turn + 1) % usersEach)
        {
            long user = firstUser + (long)generation[turn] * writers * usersEach + (long)writer * usersEach + turn;
            int n = next[turn];
            string id = $"load-{user}-{n}";
            var request = Batch(Ev(user, itemIds[(int)((user + n) % itemIds.Count)], T0 + n * 1000L, id));
            try
            {
                var reply = await client.ObserveEventsAsync(request, deadline: DateTime.UtcNow.AddSeconds(20), cancellationToken: stop);
                if (reply.Applied + reply.Duplicates != 1)
                    throw new InvalidOperationException($"event {id} neither applied nor a duplicate: {reply}");
                _acknowledged.GetOrAdd(user, _ => new()).Enqueue(id);
                Interlocked.Increment(ref _acked);
                if (reply.Applied == 1)
                    Interlocked.Increment(ref _appliedAcks);
                InterlockedMax(ref _mostFailuresOfOneEvent, failures[turn]);
                failures[turn] = 0;
                if (++next[turn] == EventsPerUser)
                {
                    next[turn] = 0;
                    generation[turn]++;
                }
            }
            catch (RpcException) when (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failedCalls);
                failures[turn]++;
                await Task.Delay(10 + random.Next(20), CancellationToken.None);
            }
            catch (RpcException)
            {
                return;
            }
        }
    }

    private async Task ProbeAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var asked = _clock.Elapsed;
            ProbeOutcome outcome;
            try
            {
                var reply = await client.RecommendAsync(new RecommendRequest { UserId = Victim, K = 3, TimestampMs = T0 + EventsPerUser * 1000L }, deadline: DateTime.UtcNow.AddSeconds(20),
                    cancellationToken: CancellationToken.None);
                outcome = reply.Degraded ? ProbeOutcome.Degraded : ProbeOutcome.Normal;
            }
            catch (RpcException)
            {
                outcome = ProbeOutcome.Failed;
            }
            _probes.Enqueue(new Probe(asked, outcome));
            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static void InterlockedMax(ref int location, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref location)) && Interlocked.CompareExchange(ref location, value, current) != current)
        {
        }
    }

    public enum ProbeOutcome
    {
        Normal,
        Degraded,
        Failed,
    }

    public sealed record Probe(TimeSpan AskedAt, ProbeOutcome Outcome);
}

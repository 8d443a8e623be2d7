using System.Collections.Concurrent;
using Grpc.Core;
using HierTcn.Fleet.Tests.Support;
using HierTcn.Inference.V1;
using Xunit.Abstractions;

namespace HierTcn.Fleet.Tests;

/// <summary>
/// The fleet behaves as one service: inference processes are stateless in front of the shared, sharded state
/// store. Each test leaves both inference processes running.
/// </summary>
[Collection(LocalFleetCollection.Name)]
public sealed class LocalFleetTests(LocalFleet fleet, ITestOutputHelper output) : IAsyncLifetime
{
    private const int A = 0, B = 1;
    private static readonly long BaseTimeMs = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds();

    public Task InitializeAsync() => fleet.EnsureRunningAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Events_ObservedThroughProcessA_ChangeWhatProcessBRecommends()
    {
        const long user = 31_000_001;
        var before = await RecommendAsync(B, user);
        Assert.True(before.UnknownUser, "a fresh user should be unknown before any event");

        var observed = await ObserveAsync(A, Events(user, first: 0, count: 6, stride: 2));
        Assert.Equal(6, observed.Applied + observed.Duplicates);

        var fromB = await StoredAnswerAsync(B, user);
        var fromA = await StoredAnswerAsync(A, user);
        Assert.False(fromB.UnknownUser, "B does not see the state A wrote");
        Assert.Equal(before.ModelVersion, fromB.ModelVersion);
        Assert.NotEqual(Ranking(before), Ranking(fromB));
        Assert.Equal(Ranking(fromA), Ranking(fromB));

        // And back: events through B move what A recommends.
        var more = await ObserveAsync(B, Events(user, first: 6, count: 3, stride: 5));
        Assert.Equal(3, more.Applied + more.Duplicates);
        var fromA2 = await StoredAnswerAsync(A, user);
        Assert.NotEqual(Ranking(fromA), Ranking(fromA2));
        Assert.Equal(Ranking(await StoredAnswerAsync(B, user)), Ranking(fromA2));
    }

    [Fact]
    public async Task AbSplit_TenThousandUsers_WithinOnePointFiveOfWeightsAndStickyAcrossProcessesAndRestart()
    {
        var users = Enumerable.Range(0, 10_000).Select(i => 50_000_000L + i * 7919L).ToArray();
        var onA = await AssignmentsAsync(A, users);
        double shareV1 = onA.Count(v => v == "v1") / (double)users.Length;
        double shareV2 = onA.Count(v => v == "v2") / (double)users.Length;
        output.WriteLine($"10,000 users: v1 {shareV1:P2}, v2 {shareV2:P2} (configured 90/10)");
        Assert.Equal(1.0, shareV1 + shareV2, 9);
        Assert.InRange(shareV1, 0.90 - 0.015, 0.90 + 0.015);
        Assert.InRange(shareV2, 0.10 - 0.015, 0.10 + 0.015);

        var onB = await AssignmentsAsync(B, users);
        Assert.Equal(0, Mismatches(onA, onB));

        // After a restart, a sample of 2,000 (every fifth user).
        fleet.KillInference(A);
        await fleet.StartInferenceAsync(A);
        var sample = users.Where((_, i) => i % 5 == 0).ToArray();
        var afterRestart = await AssignmentsAsync(A, sample);
        Assert.Equal(0, Mismatches(onA.Where((_, i) => i % 5 == 0).ToArray(), afterRestart));
    }

    [Fact]
    public async Task InferenceProcess_KilledWhileEventsFlow_NoAcknowledgedStateLost()
    {
        // Quiet users: their recommendations from A just before the kill are what B must give after it.
        var quiet = Enumerable.Range(0, 40).Select(i => 32_000_000L + i).ToArray();
        foreach (long user in quiet)
        {
            var reply = await ObserveAsync(A, Events(user, first: 0, count: 5, stride: 1 + (int)(user % 4)));
            Assert.Equal(5, reply.Applied + reply.Duplicates);
        }
        // Answers read from the store only: a degraded answer (the store not reached in time) is a cold start.
        var expected = new Dictionary<long, RecommendResponse>();
        foreach (long user in quiet)
        {
            var reply = await StoredAnswerAsync(A, user);
            Assert.False(reply.UnknownUser, $"user {user}: A does not see the events it acknowledged\n{fleet.OutputTails}");
            expected[user] = reply;
        }

        // Busy users: writers send one event per call to A; once each has had one acknowledged, A is SIGKILLed at a
        // random moment while they go on.
        var busy = Enumerable.Range(0, 16).Select(i => 33_000_000L + i).ToArray();
        var acknowledged = new ConcurrentDictionary<long, int>();
        using var stop = new CancellationTokenSource();
        var client = fleet.Client(A);
        var writers = busy.Select(user => Task.Run(async () =>
        {
            for (int n = 0; !stop.IsCancellationRequested; n++)
            {
                try
                {
                    var reply = await client.ObserveEventsAsync(Events(user, first: n, count: 1, stride: 3), deadline: DateTime.UtcNow.AddSeconds(30));
                    if (reply.Applied != 1)
                        throw new InvalidOperationException($"user {user} event {n}: applied {reply.Applied}, duplicates {reply.Duplicates}, late {reply.Late}");
                    acknowledged[user] = n;
                }
                catch (RpcException) when (stop.IsCancellationRequested || fleet.Inference(A).HasExited)
                {
                    return;                                  // the process is gone: this event is unacknowledged
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Unavailable)
                {
                    // Not acknowledged, so nothing to check; the next event goes on.
                }
            }
        })).ToArray();
        var waitStart = DateTime.UtcNow;
        while (acknowledged.Count < busy.Length && DateTime.UtcNow - waitStart < TimeSpan.FromSeconds(60) && !writers.Any(w => w.IsFaulted))
            await Task.Delay(20);
        await Task.Delay(new Random().Next(200, 1000));
        fleet.Inference(A).Kill();
        stop.Cancel();
        await Task.WhenAll(writers);
        fleet.KillInference(A);
        Assert.True(acknowledged.Count == busy.Length, $"only {acknowledged.Count} of {busy.Length} writers got an event acknowledged\n{fleet.OutputTails}");
        output.WriteLine($"acknowledged before SIGKILL: {acknowledged.Values.Sum() + acknowledged.Count} events over {busy.Length} users");

        // Every quiet user is checked before any assertion, so a failure shows all that differ, each with B asked
        // twice and A asked again after its restart (below): a store that lost or changed the state, or a process
        // that ranks one state two ways, read differently there.
        var differing = new List<(long User, RecommendResponse B, RecommendResponse BAgain)>();
        foreach (long user in quiet)
        {
            var reply = await StoredAnswerAsync(B, user);
            if (reply.UnknownUser || Ranking(reply) != Ranking(expected[user]))
                differing.Add((user, reply, await StoredAnswerAsync(B, user)));
        }
        // Every acknowledged event is in the store: B sees its last one as a duplicate, not as new.
        foreach (var (user, last) in acknowledged)
        {
            var resent = await ObserveAsync(B, Events(user, first: last, count: 1, stride: 3));
            Assert.True(resent.Duplicates == 1 && resent.Applied == 0,
                $"user {user}: acknowledged event {last} re-sent through B: applied {resent.Applied}, duplicates {resent.Duplicates}, late {resent.Late}");
        }

        await fleet.StartInferenceAsync(A);
        if (differing.Count > 0)
        {
            var report = new System.Text.StringBuilder($"{differing.Count} of {quiet.Length} quiet users answered differently by B after A's SIGKILL:\n");
            foreach (var (user, fromB, again) in differing)
            {
                var fromA = await StoredAnswerAsync(A, user);
                report.AppendLine($"user {user}: A before the kill {Describe(expected[user])}")
                    .AppendLine($"  B {Describe(fromB)}").AppendLine($"  B again {Describe(again)}").AppendLine($"  A after its restart {Describe(fromA)}");
            }
            Assert.Fail(report + fleet.OutputTails);
        }
        foreach (long user in quiet.Take(10))
            Assert.Equal(Ranking(expected[user]), Ranking(await StoredAnswerAsync(A, user)));
    }

    /// <summary>An answer read from the store: a degraded one (the store not reached in time, served as a cold start)
    /// says nothing about what the store holds, so it is asked again (up to 20 times, 250 ms apart).</summary>
    private async Task<RecommendResponse> StoredAnswerAsync(int process, long user)
    {
        var reply = await Calls.UntilReadFromStoreAsync(() => RecommendAsync(process, user));
        Assert.False(reply.Degraded, $"user {user}: process {"AB"[process]} did not reach the state store in 20 attempts\n{fleet.OutputTails}");
        return reply;
    }

    private static string Describe(RecommendResponse reply) =>
        $"(version {reply.ModelVersion}, snapshot {reply.SnapshotVersion}, unknown {reply.UnknownUser}): {string.Join(' ', reply.Items.Take(3).Select(i => $"{i.ItemId}:{i.Score:R}"))}";

    private Task<RecommendResponse> RecommendAsync(int process, long user) =>
        Calls.RetryAsync(() => fleet.Client(process).RecommendAsync(new RecommendRequest { UserId = user, K = 10, TimestampMs = BaseTimeMs + 600_000 },
            deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

    /// <summary>Safe to retry: events apply once by id (a retried event counts as a duplicate).</summary>
    private Task<ObserveEventsResponse> ObserveAsync(int process, ObserveEventsRequest request) =>
        Calls.RetryAsync(() => fleet.Client(process).ObserveEventsAsync(request, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

    private async Task<string[]> AssignmentsAsync(int process, long[] users)
    {
        var client = fleet.Client(process);
        var versions = new string[users.Length];
        await Parallel.ForAsync(0, users.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var reply = await Calls.RetryAsync(() => client.RecommendAsync(new RecommendRequest { UserId = users[i], K = 1 },
                deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct).ResponseAsync);
            versions[i] = reply.ModelVersion;
        });
        return versions;
    }

    private static int Mismatches(string[] a, string[] b) => a.Zip(b).Count(p => p.First != p.Second);

    /// <summary>A session of <paramref name="count"/> events a minute apart, walking the catalogue.</summary>
    private ObserveEventsRequest Events(long user, int first, int count, int stride)
    {
        var request = new ObserveEventsRequest();
        var items = fleet.Model.ItemIds;
        for (int n = first; n < first + count; n++)
        {
            request.Events.Add(new Event
            {
                UserId = user,
                ItemId = items[(int)((user + (long)n * stride) % items.Count)],
                TimestampMs = BaseTimeMs + n * 1_000L,
                EventId = $"{user}:{n}",
            });
        }
        return request;
    }

    private static string Ranking(RecommendResponse reply) =>
        string.Join(' ', reply.Items.Select(i => $"{i.ItemId}:{i.Score:R}"));
}

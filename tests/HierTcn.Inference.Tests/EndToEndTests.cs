using HierTcn.Inference.Client;
using HierTcn.Inference.V1;
using Xunit.Abstractions;

namespace HierTcn.Inference.Tests;

/// <summary>The acceptance test: a trained model, exported, served by the real server with the embedded store; a
/// user's events streamed in one by one; at every next event's time the served scores of the whole catalogue equal
/// the trainer's scores for the same history.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class EndToEndTests(ServedModelFixture model, ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    /// <summary>"steps": the incremental TCN with its in-pod cache (one row per event); "steps-uncached": every request
    /// primes the buffers from zeros over its window; "full-window": the tcn_step graph on the whole window.</summary>
    [Theory]
    [InlineData("steps")]
    [InlineData("steps-uncached")]
    [InlineData("full-window")]
    public Task Recommend_AfterStreamedHistory_EqualsTrainerScores(string embedding) => ReplayEqualsTrainerAsync(model, embedding, output);

    /// <summary>The replay of <see cref="Recommend_AfterStreamedHistory_EqualsTrainerScores"/> on <paramref name="model"/>'s v1.</summary>
    /// <param name="endSessions">Call EndSession for the user before asking at each new session's first event (the
    /// ended session must still be folded as the trainer folds it).</param>
    /// <param name="clickFeed">A prior model served by two pods that each apply half of the training users' events, and
    /// each sent every click by CountClicks (the fleet's click feed): the replayed pod must rank with all of them.</param>
    internal static async Task ReplayEqualsTrainerAsync(ServedModelFixture model, string embedding, ITestOutputHelper output, bool endSessions = false,
        bool clickFeed = false)
    {
        var settings = embedding switch
        {
            "steps" => new Dictionary<string, string?>(),
            "steps-uncached" => new Dictionary<string, string?> { ["Recommender:StepCacheMegabytes"] = "0" },
            _ => new Dictionary<string, string?> { ["Recommender:IncrementalEmbedding"] = "false" },
        };
        if (model.RecentPop)
        {
            // The replay observes a day of training clicks first: keep them all (the retention runs behind the newest click).
            settings["Recommender:RecentClicksRetentionMinutes"] = "2880";
        }
        await using var server = await TestServer.StartAsync(model, settings);
        await using var peer = clickFeed ? await TestServer.StartAsync(model, settings) : null;
        // prometheus-net's registry is process-wide, so earlier tests' runs are in it too: compare counts before and after.
        var (stepsBefore, windowsBefore) = await RunCountsAsync(server.MetricsPort);
        var data = model.Data;
        float worst = 0, largestPrior = 0;
        int compared = 0, newSessions = 0, streamed = 0;
        if (model.RecentPop)
        {
            // The click stream a prior model counts: every training user's events, observed before the replay.
            var observe = new ObserveEventsRequest();
            for (int u = 0; u < data.UserCount; u++)
            {
                if (data.UserSplit[u] == (byte)Data.Dataset.DataSplit.Train)
                {
                    var (first, last) = data.UserEvents(u);
                    observe.Events.AddRange(Enumerable.Range(first, last - first).Select(e => DatasetReplay.EventOf(data, data.UserIds[u], e)));
                }
            }
            if (peer is null)
            {
                var applied = await server.Client.ObserveEventsAsync(observe);
                Assert.Equal(observe.Events.Count, applied.Applied);
                // A retry of the whole call applies nothing, so counts nothing twice (the replay below would see it).
                var again = await server.Client.ObserveEventsAsync(observe);
                Assert.Equal((0, observe.Events.Count), (again.Applied, again.Duplicates));
            }
            else
            {
                // A fleet of two: each pod applies its users' events (users split by id), and the click feed sends every
                // click to both; a pod's own applied clicks are duplicates there, the other pod's are counted.
                var mine = new ObserveEventsRequest();
                var theirs = new ObserveEventsRequest();
                foreach (var e in observe.Events)
                {
                    (e.UserId % 2 == 0 ? mine : theirs).Events.Add(e);
                }
                Assert.Equal(mine.Events.Count, (await server.Client.ObserveEventsAsync(mine)).Applied);
                Assert.Equal(theirs.Events.Count, (await peer.Client.ObserveEventsAsync(theirs)).Applied);
                Assert.True(mine.Events.Count > 0 && theirs.Events.Count > 0);
                var feed = new CountClicksRequest();
                feed.Events.AddRange(observe.Events);
                var here = await server.Client.CountClicksAsync(feed);
                Assert.Equal((theirs.Events.Count, mine.Events.Count, 0), (here.Counted, here.Duplicates, here.TooOld));
                var there = await peer.Client.CountClicksAsync(feed);
                Assert.Equal((mine.Events.Count, theirs.Events.Count, 0), (there.Counted, there.Duplicates, there.TooOld));
                // The feed retried counts nothing twice.
                var retried = await server.Client.CountClicksAsync(feed);
                Assert.Equal((0, observe.Events.Count), (retried.Counted, retried.Duplicates));
            }
            streamed = observe.Events.Count;
        }
        foreach (int user in model.TestUsers.Take(4))
        {
            var (start, end) = data.UserEvents(user);
            long userId = data.UserIds[user];
            var queries = Enumerable.Range(start + 1, end - start - 1).ToList();
            var trainer = model.TrainerScores(user, queries);
            var expectations = queries.Select((e, q) => model.ServedExpectation(user, e, trainer[q])).ToArray();
            var expected = expectations.Select(x => x.Served).ToArray();
            var sessionStarts = new HashSet<int>(data.SessionEvents.ToArray());
            for (int q = 0; q < queries.Count; q++)
            {
                int e = queries[q];
                // Stream the event before the one predicted; then ask at the predicted event's time.
                using (var stream = server.Client.ObserveEventStream())
                {
                    await stream.RequestStream.WriteAsync(DatasetReplay.EventOf(data, userId, e - 1));
                    await stream.RequestStream.CompleteAsync();
                    var summary = await stream;
                    Assert.Equal(1, summary.Applied);
                }
                if (clickFeed)
                {
                    // The feed brings the replayed click too: counted once on the pod that applied it.
                    var feed = new CountClicksRequest { Events = { DatasetReplay.EventOf(data, userId, e - 1) } };
                    Assert.Equal(1, (await server.Client.CountClicksAsync(feed)).Duplicates);
                    Assert.Equal(1, (await peer!.Client.CountClicksAsync(feed)).Counted);
                }
                if (endSessions && sessionStarts.Contains(e))
                {
                    Assert.True((await server.Client.EndSessionAsync(new EndSessionRequest { UserId = userId })).Closed);
                }
                var response = await server.Client.RecommendAsync(new RecommendRequest
                {
                    UserId = userId,
                    K = ServedModelFixture.ItemCount,
                    TimestampMs = data.EventTimestamps[e],
                });
                Assert.Equal(ServedModelFixture.ItemCount, response.Items.Count);
                Assert.False(response.UnknownUser);
                Assert.Equal("v1", response.ModelVersion);
                Assert.Equal("items-1", response.SnapshotVersion);
                var served = response.Items.ToDictionary(i => i.ItemId, i => i.Score);
                for (int i = 0; i < data.ItemCount; i++)
                {
                    worst = MathF.Max(worst, MathF.Abs(served[data.ItemIds[i]] - expected[q][i]));
                }
                if (model.RecentPop)
                {
                    // How far the prior moves these scores from the model's own (the comparison must see it).
                    float[] plain = expectations[q].Plain;
                    largestPrior = Enumerable.Range(0, data.ItemCount).Select(i => MathF.Abs(expected[q][i] - plain[i])).Prepend(largestPrior).Max();
                    // Ranking candidates (scored in C#, not by the score graph) adds the same prior.
                    var candidates = await server.Client.RecommendAsync(new RecommendRequest
                    {
                        UserId = userId,
                        K = ServedModelFixture.ItemCount,
                        TimestampMs = data.EventTimestamps[e],
                        CandidateItemIds = { data.ItemIds.ToArray().Where((_, i) => i % 2 == 0) },
                    });
                    Assert.Equal(ServedModelFixture.ItemCount / 2, candidates.Items.Count);
                    foreach (var item in candidates.Items)
                    {
                        worst = MathF.Max(worst, MathF.Abs(item.Score - served[item.ItemId]));
                    }
                }
                Assert.True(response.Items.Zip(response.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score), "not sorted best first");
                compared++;
                newSessions += sessionStarts.Contains(e) ? 1 : 0;
            }
        }
        // The path under test is the one that ran: the metrics time every graph run by role.
        var (stepsAfter, windowsAfter) = await RunCountsAsync(server.MetricsPort);
        Assert.Equal(embedding != "full-window", stepsAfter > stepsBefore);
        Assert.Equal(embedding == "full-window", windowsAfter > windowsBefore);
        output.WriteLine($"{embedding}: served vs trainer: {compared} recommendations ({newSessions} at a new session's first event), "
            + $"{ServedModelFixture.ItemCount} items each; max abs diff {worst:E3}");
        Assert.True(newSessions > 0 && compared > newSessions);
        if (model.RecentPop)
        {
            // Every applied click is kept (the retention covers the replay) and the pod says how many it holds.
            using var http = new HttpClient();
            string metrics = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics");
            Assert.Contains($"\nhiertcn_inference_recent_clicks {streamed + compared}\n", metrics);
            output.WriteLine($"the prior term reached {largestPrior:F3} (w = {model.PriorWeight:F4})");
            Assert.True(largestPrior > 100 * Tolerance, $"the replay never saw a click in a window: the prior term is at most {largestPrior}");
        }
        Assert.True(worst <= Tolerance, $"max abs diff {worst} > {Tolerance}");
    }

    /// <summary>How many times the step graph (role embed_step) and the full-window graph (role embed) of model v1
    /// have run in this process, from the server's metrics (0 when a series is absent).</summary>
    private static async Task<(double Steps, double Windows)> RunCountsAsync(int metricsPort)
    {
        using var http = new HttpClient();
        string metrics;
        // The metrics listener starts beside the server and may answer a moment after it: retry a refused connection.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
                break;
            }
            catch (HttpRequestException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
        return (Count(metrics, "embed_step"), Count(metrics, "embed"));

        static double Count(string metrics, string role)
        {
            string series = $"hiertcn_inference_onnx_run_seconds_count{{model_version=\"v1\",role=\"{role}\"}} ";
            int at = metrics.IndexOf(series, StringComparison.Ordinal);
            if (at < 0)
            {
                return 0;
            }
            int from = at + series.Length, to = metrics.IndexOf('\n', from);
            return double.Parse(metrics.AsSpan(from, (to < 0 ? metrics.Length : to) - from), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [Fact]
    public async Task Replay_HeldBackUsers_PrintsRecommendations()
    {
        await using var server = await TestServer.StartAsync(model);
        var results = await DatasetReplay.RunAsync(server.Client, model.Data, new ReplayOptions { Users = 3, K = 5 });
        Assert.Equal(3, results.Count);
        foreach (var r in results)
        {
            output.WriteLine($"user {r.UserId}: {r.EventsObserved} events observed; held-out item {r.HeldOutItem} at rank {r.HeldOutRank}; "
                + string.Join(", ", r.Response.Items.Select(i => $"{i.ItemId}:{i.Score:F3}")));
            Assert.Equal(5, r.Response.Items.Count);
            Assert.False(r.Response.UnknownUser);
        }
        // A second replay applies nothing new: every event id was seen.
        var again = await server.Client.ObserveEventsAsync(new ObserveEventsRequest
        {
            Events = { DatasetReplay.EventOf(model.Data, results[0].UserId, model.Data.UserEvents(model.TestUsers[0]).Start) },
        });
        Assert.Equal(0, again.Applied);
        Assert.Equal(1, again.Duplicates);
    }
}

/// <summary>The acceptance replay for a HierTCN trained with <c>--tcn-session-mean</c>: the running mean travels in the
/// step graph's buffers and through the full-window graph's CumSum, and the served scores still equal the trainer's.
/// In the served-model collection, so its graph-run counts (process-wide metrics, the same version name) are not mixed
/// with <see cref="EndToEndTests"/>' own.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class SessionMeanEndToEndTests(SessionMeanModelFixture fixture, ITestOutputHelper output) : IClassFixture<SessionMeanModelFixture>
{
    [Theory]
    [InlineData("steps")]
    [InlineData("steps-uncached")]
    [InlineData("full-window")]
    public async Task Recommend_SessionMeanModel_EqualsTrainerScores(string embedding)
    {
        // The bundle under test is the session-mean one: its manifest says so, with no bound on the receptive field.
        string manifest = await File.ReadAllTextAsync(Path.Combine(fixture.Model.BundlesDirectory, "v1", "manifest.json"));
        Assert.Contains("\"session_mean\": true", manifest);
        Assert.DoesNotContain("receptive_field", manifest);
        await EndToEndTests.ReplayEqualsTrainerAsync(fixture.Model, embedding, output);
    }
}

/// <summary>The acceptance replay for a HierTCN whose high level reads the time between sessions: the served update graph
/// gets the minutes from a session's last event to the next one's first (at the Recommend that opens it and at the
/// event that does), also when the client ended the session before (EndSession then only marks it), and the served
/// scores equal the trainer's.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class TimeGapEndToEndTests(TimeGapModelFixture fixture, ITestOutputHelper output) : IClassFixture<TimeGapModelFixture>
{
    [Theory]
    [InlineData("steps", false)]
    [InlineData("full-window", false)]
    [InlineData("steps", true)]
    public async Task Recommend_TimeGapModel_EqualsTrainerScores(string embedding, bool endSessions)
    {
        string manifest = await File.ReadAllTextAsync(Path.Combine(fixture.Model.BundlesDirectory, "v1", "manifest.json"));
        Assert.Contains("\"time_gap\": true", manifest);
        Assert.Contains("\"gap_minutes\"", manifest);
        await EndToEndTests.ReplayEqualsTrainerAsync(fixture.Model, embedding, output, endSessions);
    }
}

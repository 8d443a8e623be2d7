using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;
using HierTcn.Data.Dataset;
using HierTcn.Exporter;
using HierTcn.Formats;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference;
using HierTcn.Inference.Internal;
using HierTcn.Inference.Popularity;
using HierTcn.Inference.V1;
using HierTcn.Security;
using HierTcn.Trainer;
using HierTcn.Trainer.Models;
using HierTcn.Trainer.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace HierTcn.LoadGen;

/// <summary>
/// <code>
/// setup   --data D --out DIR [--train-users 200]                    brief training at the paper's sizes, bundle + snapshot
/// closed  --server URL --data D [--callers 64] [--seconds 20] [--warmup 5] [--k 20] [--tls CA] [--token-file F]
/// open    --server URL --data D --rate R [--seconds 20] [--warmup 3] [--recover-rate R2] [--metrics URL] [--tls CA] [--token-file F]
/// </code>
/// <c>--tls CA</c> connects over TLS (an https:// URL), trusting the authority in the PEM file CA; <c>--token-file F</c>
/// sends the bearer token in F with every call (a server with authorization on needs a token with read and write).
/// <code>
/// inproc  --bundles B --snapshots S --version V --data D [--batch 64] [--seconds 20] [--k 20] [--incremental true|false] [--step-cache-mb 512]
/// ab-memory [--users 1000000] [--list 20]                           memory of the online A/B lists (AbMemory.cs)
/// clicks-memory [--clicks 4000000] [--keyed true]                   memory of the prior's recent clicks (ClicksMemory.cs)
/// </code>
/// </summary>
internal static class LoadGenCommands
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: loadgen setup|closed|open|inproc|ab-memory|clicks-memory [--option value ...] (see LoadGenCommands.cs)");
            return 2;
        }
        var o = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"error: expected --option, found '{args[i]}'");
                return 2;
            }
            o[args[i][2..]] = args[i + 1];
        }
        try
        {
            return args[0] switch
            {
                "setup" => Setup(o),
                "closed" => await ClosedAsync(o),
                "open" => await OpenAsync(o),
                "inproc" => InProcess(o),
                "ab-memory" => AbMemory.Run(o),
                "clicks-memory" => ClicksMemory.Run(o),
                _ => throw new ArgumentException($"unknown command '{args[0]}'"),
            };
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or IOException or InvalidDataException or RpcException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static string Req(Dictionary<string, string> o, string name) =>
        o.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");

    private static int Int(Dictionary<string, string> o, string name, int fallback) =>
        o.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Trains HierTCN at the paper's sizes for one epoch on a few training users (speed, not quality, is
    /// measured), then writes snapshot "globo-items" and bundle "globo-v1".</summary>
    private static int Setup(Dictionary<string, string> o)
    {
        using var data = PreparedDataset.Open(Req(o, "data"));
        string output = Req(o, "out");
        var options = new TrainingOptions
        {
            Model = ModelOptions.ForKind(ModelKind.HierTcn),
            MaxEpochs = 1,
            MaxTrainUsers = Int(o, "train-users", 200),
            SkipValidation = true,
            Threads = 2,
        };
        var clock = Stopwatch.StartNew();
        string run = Path.Combine(output, "run");
        new ModelTrainer(options).Run(data, run, finalEvaluation: false);
        var (model, _) = TrainedRun.Load(run, data);
        var weights = TorchWeights.From(model);
        var embeddings = weights["item_embedding.weight"];
        string snapshot = ItemSnapshotDirectory.Publish(Path.Combine(output, "snapshots"), "globo-items", data.ItemIds, embeddings.Data, embeddings.Shape[1]);
        var bundle = BundleExporter.Export(Path.Combine(output, "bundles"), ModelTypes.HierTcn, weights, "globo-v1",
            BundleExporter.Reference(snapshot), sessionGapMs: data.Header.SessionGapMs);
        Console.WriteLine($"trained {options.MaxTrainUsers} users x 1 epoch and exported {bundle.Directory} ({data.ItemCount} items, "
            + $"d {bundle.Manifest.Dims.ItemDim}, receptive field {bundle.Manifest.Dims.ReceptiveField}) in {clock.Elapsed.TotalSeconds:F0} s");
        return 0;
    }

    private static GrpcChannel Channel(string url, Dictionary<string, string> o)
    {
        string ca = o.GetValueOrDefault("tls", ""), token = o.GetValueOrDefault("token-file", "");
        if (ca.Length > 0 && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--tls needs an https:// server address, got {url}");
        HttpMessageHandler handler = ca.Length > 0 || token.Length > 0
            ? new ClientHandler(new ClientSecurityOptions { CaFile = ca, TokenFile = token })
            : new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        return GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 16 << 20 });
    }

    /// <summary>N callers, each sending the next Recommend as soon as the previous answered.</summary>
    private static async Task<int> ClosedAsync(Dictionary<string, string> o)
    {
        using var data = PreparedDataset.Open(Req(o, "data"));
        int callers = Int(o, "callers", 64), seconds = Int(o, "seconds", 20), warmup = Int(o, "warmup", 5), k = Int(o, "k", 20);
        using var channel = Channel(Req(o, "server"), o);
        var client = new Recommender.RecommenderClient(channel);
        var work = new Workload(data, Int(o, "users", 512));
        await work.WarmAsync(client);
        var latencies = new Latencies();
        var errors = new Dictionary<StatusCode, int>();
        long measureFrom = Stopwatch.GetTimestamp() + warmup * Stopwatch.Frequency;
        long stopAt = measureFrom + seconds * Stopwatch.Frequency;
        int done = 0;
        await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            for (int i = c; Stopwatch.GetTimestamp() < stopAt; i += callers)
            {
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    await client.RecommendAsync(work.Request(i, k));
                    if (t0 >= measureFrom)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                        Interlocked.Increment(ref done);
                    }
                }
                catch (RpcException e)
                {
                    lock (errors)
                        errors[e.StatusCode] = errors.GetValueOrDefault(e.StatusCode) + 1;
                }
            }
        })));
        Console.WriteLine($"closed loop: {callers} callers, {seconds} s after {warmup} s warm-up, k {k}, whole catalogue ({data.ItemCount} items): "
            + $"{done / (double)seconds:F0} req/s; {latencies.Summary()}; errors: {(errors.Count == 0 ? "none" : string.Join(", ", errors))}");
        return 0;
    }

    /// <summary>Requests sent at a fixed rate whatever the answers; latency counted from the intended send time.
    /// Then a recovery phase at a lower rate. Reports shed (RESOURCE_EXHAUSTED) and the server's resident memory.
    /// A warm-up at the rate comes first and is reported apart, as the closed loop's is left out: this process is new
    /// and shares the server's cores, and its own first seconds (the JIT compiling its hot path again at the optimising
    /// tier, its thread pool growing, a new HTTP/2 connection) were the largest part of the tail (bench/RESULTS.md, issue 11).</summary>
    private static async Task<int> OpenAsync(Dictionary<string, string> o)
    {
        using var data = PreparedDataset.Open(Req(o, "data"));
        int rate = Int(o, "rate", 100), seconds = Int(o, "seconds", 20), k = Int(o, "k", 20);
        int recoverRate = Int(o, "recover-rate", rate / 4), warmup = Int(o, "warmup", 3);
        using var channel = Channel(Req(o, "server"), o);
        var client = new Recommender.RecommenderClient(channel);
        var work = new Workload(data, Int(o, "users", 512));
        await work.WarmAsync(client);
        string? metrics = o.GetValueOrDefault("metrics");
        using var http = new HttpClient();
        double before = metrics is null ? 0 : await ResidentBytesAsync(http, metrics);
        double peak = before;
        using var sampler = new CancellationTokenSource();
        var sampling = metrics is null ? Task.CompletedTask : Task.Run(async () =>
        {
            while (!sampler.IsCancellationRequested)
            {
                peak = Math.Max(peak, await ResidentBytesAsync(http, metrics));
                await Task.Delay(500);
            }
        });
        if (warmup > 0)
        {
            var (warmLatencies, _, warmShed, _, _, _) = await PacedPhaseAsync(client, work, rate, warmup, k);
            Console.WriteLine($"open loop warm-up (not counted): {rate} req/s for {warmup} s: {warmShed} shed; {warmLatencies.Summary()}");
        }
        foreach (var (phase, r) in new[] { ("overload", rate), ("recovery", recoverRate) })
        {
            var serverBefore = metrics is null ? null : await ServerHistogram.ScrapeAsync(http, metrics, "Recommend");
            var started = DateTime.UtcNow;
            var (latencies, ok, shed, other, codes, slow) = await PacedPhaseAsync(client, work, r, seconds, k);
            Console.WriteLine($"open loop {phase}: {r} req/s offered for {seconds} s: {ok} ok ({ok / (double)seconds:F0}/s), {shed} shed "
                + $"(RESOURCE_EXHAUSTED), {other} other errors ({string.Join(", ", codes)}); accepted {latencies.Summary()}");
            Console.WriteLine($"  started {started:HH:mm:ss.fff} UTC; {slow.Summary(started)}");
            if (metrics is not null)
            {
                var serverAfter = await ServerHistogram.ScrapeAsync(http, metrics, "Recommend");
                Console.WriteLine($"  server-side Recommend latency (its histogram, this phase): {serverAfter.Minus(serverBefore!).Summary()}");
            }
        }
        await sampler.CancelAsync();
        await sampling;
        if (metrics is not null)
        {
            double after = await ResidentBytesAsync(http, metrics);
            Console.WriteLine($"server resident memory: {before / 1048576:F0} MiB before, peak {peak / 1048576:F0} MiB, {after / 1048576:F0} MiB after");
        }
        return 0;
    }

    /// <summary>
    /// One open-loop phase: request n is due at n / rate seconds; one dedicated thread sends every request whose time
    /// has come (sleeping 1 ms between checks, so requests leave in small bursts of what fell due meanwhile, never
    /// late by more than the sleep) and records each latency from its due time when its response arrives. No task per
    /// request and no list of them: the generator's own allocations and thread-pool hops would otherwise be counted
    /// as the server's tail (the client shares the server's cores).
    /// </summary>
    private static async Task<(Latencies Latencies, int Ok, int Shed, int Other, Dictionary<StatusCode, int> Codes, SlowSeconds Slow)> PacedPhaseAsync(
        Recommender.RecommenderClient client, Workload work, int rate, int seconds, int k)
    {
        var latencies = new Latencies((int)Math.Min(int.MaxValue, (long)rate * seconds));
        var slow = new SlowSeconds(seconds, 10_000);
        int ok = 0, shed = 0, other = 0, pending = 0;
        var codes = new Dictionary<StatusCode, int>();
        var allSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        long total = (long)rate * seconds;
        bool sendingDone = false;
        void Finish()
        {
            if (Interlocked.Decrement(ref pending) == 0 && Volatile.Read(ref sendingDone))
                allSent.TrySetResult();
        }
        async Task SendAsync(long index, double due)
        {
            try
            {
                await client.RecommendAsync(work.Request((int)index, k), deadline: DateTime.UtcNow.AddSeconds(5)).ResponseAsync.ConfigureAwait(false);
                double micros = (clock.Elapsed.TotalSeconds - due) * 1e6;
                latencies.Add(micros);
                slow.Add(due, micros);
                Interlocked.Increment(ref ok);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                Interlocked.Increment(ref shed);
            }
            catch (RpcException e)
            {
                Interlocked.Increment(ref other);
                lock (codes)
                    codes[e.StatusCode] = codes.GetValueOrDefault(e.StatusCode) + 1;
            }
            finally
            {
                Finish();
            }
        }
        var sender = new Thread(() =>
        {
            Interlocked.Increment(ref pending);                      // held by the sender until it is done
            for (long n = 0; n < total; n++)
            {
                double due = n / (double)rate;
                while (clock.Elapsed.TotalSeconds < due)
                    Thread.Sleep(1);
                Interlocked.Increment(ref pending);
                _ = SendAsync(n, due);
            }
            Volatile.Write(ref sendingDone, true);
            Finish();
        })
        { IsBackground = true, Name = "open-loop sender" };
        sender.Start();
        await allSent.Task.ConfigureAwait(false);
        return (latencies, ok, shed, other, codes, slow);
    }

    private static async Task<double> ResidentBytesAsync(HttpClient http, string url)
    {
        foreach (string line in (await http.GetStringAsync(url)).Split('\n'))
        {
            if (line.StartsWith("process_working_set_bytes ", StringComparison.Ordinal))
                return double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
        }
        return 0;
    }

    /// <summary>The service's batch path in-process, straight on ONNX Runtime: batches of the same users (open
    /// session rows, whole-catalogue scoring, top k) run back to back on one thread, no gRPC, queue or store.</summary>
    private static int InProcess(Dictionary<string, string> o)
    {
        using var data = PreparedDataset.Open(Req(o, "data"));
        int batch = Int(o, "batch", 64), seconds = Int(o, "seconds", 20), k = Int(o, "k", 20);
        var options = new RecommenderOptions
        {
            BundlesDirectory = Req(o, "bundles"),
            SnapshotsDirectory = Req(o, "snapshots"),
            Models = [new ModelArmOptions { Version = Req(o, "version") }],
            Batching = new() { MaxBatchSize = batch },
            // Incremental TCN (on by default): with the cache the repeated batches only score (the embedding is known);
            // --step-cache-mb 0 primes every request from its window (a miss); --incremental false runs tcn_step.
            IncrementalEmbedding = !o.TryGetValue("incremental", out var incremental) || bool.Parse(incremental),
            StepCacheMegabytes = Int(o, "step-cache-mb", 512),
        };
        // A model with a recent-popularity prior ranks with the clicks of the window before each request: every request
        // asks at the dataset's median event time, with the clicks of the hour before it kept (as a pod would).
        var clicks = new RecentClicks(options.RecentClicksRetentionMinutes * 60_000L, options.RecentClicksCapacity);
        long priorAt = data.EventTimestamps.ToArray().Order().ElementAt(data.EventTimestamps.Length / 2);
        int kept = 0;
        for (int e = 0; e < data.EventTimestamps.Length; e++)
        {
            if (data.EventTimestamps[e] >= priorAt - 3_600_000 && data.EventTimestamps[e] < priorAt)
            {
                clicks.Add(data.ItemIds[data.EventItems[e]], data.EventTimestamps[e]);
                kept++;
            }
        }
        var model = ServedModel.Load(options.BundlesDirectory, options.Models[0].Version, options.SnapshotsDirectory, options, null, NullLogger.Instance,
            clicks: clicks);
        var prior = model.Bundle.Manifest.RecentPopPrior;
        if (prior is not null)
        {
            var inWindow = clicks.CountsAt(priorAt, prior.WindowMs);
            Console.WriteLine($"recent-popularity prior: {kept} clicks kept, {inWindow.Values.Sum()} on {inWindow.Count} items in the {prior.WindowMs / 60_000.0}-minute window");
        }
        var snapshot = model.AcquireSnapshot();
        var users = new Workload(data, Int(o, "users", 512)).Users;
        var rule = new SessionRule(model.Bundle.Manifest.SessionGapMs);
        var jobs = users.Select(u =>
        {
            // The open session at the user's last event: the items since the session's start, before the last event.
            var (start, end) = data.UserEvents(u);
            int first = end - 1;
            while (first > start && !rule.StartsNewSession(data.EventTimestamps[first - 1], data.EventTimestamps[first]))
                first--;
            long[] items = [.. Enumerable.Range(first, end - 1 - first).Select(e => data.ItemIds[data.EventItems[e]])];
            return new EmbedJob
            {
                UserId = data.UserIds[u],
                SessionCount = items.Length,
                Hidden = model.UserStart.ToArray(),
                SessionItems = items,
                Snapshot = snapshot,
                K = k,
                IncludeStart = items.Length <= model.SessionCapacity,
                PriorAtMs = priorAt,
            };
        }).ToArray();
        if (jobs.Length < batch)
            throw new ArgumentException($"--batch {batch} is larger than the {jobs.Length} users available");
        var results = new EmbedResult[batch];
        long requests = 0;
        for (int i = 0; i < 3; i++)
            model.RunBatch(jobs.AsSpan(0, batch), results);
        var clock = Stopwatch.StartNew();
        for (int i = 0; clock.Elapsed.TotalSeconds < seconds; i++)
        {
            int at = jobs.Length > batch ? i * batch % (jobs.Length - batch) : 0;
            model.RunBatch(jobs.AsSpan(at, batch), results);
            requests += batch;
        }
        Console.WriteLine($"in-process: batches of {batch}, k {k}, whole catalogue ({data.ItemCount} items), one thread: "
            + $"{requests / clock.Elapsed.TotalSeconds:F0} req/s ({clock.Elapsed.TotalMilliseconds * batch / requests:F2} ms per batch)");
        snapshot.Release();
        model.Retire();
        return 0;
    }
}

using System.Diagnostics;

namespace HierTcn.Inference.Internal;

internal sealed partial class ServedModel
{
    /// <summary>Rounds of <see cref="WarmUp"/> at most: enough for the runtime to see the hot path called many times
    /// over (it recompiles a method optimised after 30 calls), few enough to end at once on a small model.</summary>
    internal const int WarmupRounds = 64;

    private volatile bool _warmingUp;
    private readonly HashSet<string> _warmupRoles = [];

    /// <summary>Batches <see cref="WarmUp"/> ran, the graph roles they ran, and how long it took (for the load log line
    /// and the tests).</summary>
    public (int Batches, IReadOnlySet<string> Roles, TimeSpan Elapsed) WarmupRun { get; private set; } = (0, new HashSet<string>(), TimeSpan.Zero);

    /// <summary>Records one graph run that started at <paramref name="begin"/>: in the ONNX run metrics while serving,
    /// in <see cref="WarmupRun"/>'s roles during the warm-up (which runs on one thread).</summary>
    private void Ran(string role, long begin)
    {
        if (_warmingUp)
        {
            _warmupRoles.Add(role);
            return;
        }
        _metrics?.OnnxRun(Version, role, Stopwatch.GetElapsedTime(begin).TotalSeconds);
    }

    /// <summary>
    /// Runs made-up batches through <see cref="RunBatch"/> before the version takes traffic: one row and full batches,
    /// new users, short open sessions that grow by one item a round (cache hits, steps, and misses when a round starts
    /// over), sessions the request closes (the update graph), catalogue and candidate scoring, exclusions. A cold
    /// process otherwise compiles all of that under its first requests (inference/README.md, "Warm-up").
    /// The rows use made-up user ids and this version's snapshot; no state store is involved, the step cache is emptied
    /// afterwards, and the ONNX run metrics skip the warm-up. Stops after <see cref="WarmupRounds"/> rounds or
    /// <paramref name="budget"/>, whichever comes first; a zero budget runs nothing.
    /// </summary>
    internal void WarmUp(TimeSpan budget)
    {
        if (budget <= TimeSpan.Zero)
        {
            return;
        }
        var clock = Stopwatch.StartNew();
        var snapshot = AcquireSnapshot();
        int batches = 0;
        _warmingUp = true;
        try
        {
            var ids = snapshot.Snapshot.ItemIds.ToArray();
            if (ids.Length == 0)
            {
                return;
            }
            float[] mean = snapshot.Snapshot.Row(0).ToArray();
            int longest = Math.Min(SessionCapacity, 6);
            int[] candidates = [.. Enumerable.Range(0, Math.Min(3, ids.Length))];
            int k = Math.Min(Math.Min(20, _maxK), ids.Length);
            var results = new EmbedResult[_maxBatch];
            for (int round = 0; round < WarmupRounds && clock.Elapsed < budget; round++)
            {
                foreach (int size in _maxBatch > 1 ? new[] { 1, _maxBatch } : [1])
                {
                    var jobs = new EmbedJob[size];
                    for (int i = 0; i < size; i++)
                    {
                        // Row i's session has (i + round) % (longest + 1) items: it grows by one a round, then starts over.
                        int count = (i + round) % (longest + 1);
                        var items = new long[count];
                        for (int j = 0; j < count; j++)
                        {
                            items[j] = ids[(i + j) % ids.Length];
                        }
                        jobs[i] = new EmbedJob
                        {
                            UserId = long.MinValue + i,
                            SessionCount = count,
                            Hidden = _userStart,
                            CloseMean = i % 7 == 3 ? mean : null,
                            SessionItems = items,
                            Snapshot = snapshot,
                            CandidateRows = i % 3 == 1 ? candidates : null,
                            ExcludedRows = i % 4 == 2 ? [i % ids.Length] : null,
                            K = k,
                        };
                    }
                    RunBatch(jobs, results);
                    batches++;
                }
            }
        }
        finally
        {
            _warmingUp = false;
            _stepCache?.Clear();
            snapshot.Release();
            WarmupRun = (batches, new HashSet<string>(_warmupRoles), clock.Elapsed);
        }
    }
}

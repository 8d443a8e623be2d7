using System.Globalization;
using HierTcn.Data.Evaluation;

namespace HierTcn.Trainer.Plots;

/// <summary>
/// The paper's Figures 2 to 4 from per-event evaluation results: Recall@10 (solid) and MRR (dashed) against the
/// user's number of past interactions (power-of-two buckets), the position inside the session, and the time since
/// the previous session (first sessions have no gap and are left out of Figure 4). One line per model.
/// </summary>
public static class FigurePlots
{
    public const string PastInteractionsFile = "fig2_past_interactions.png";
    public const string SessionPositionFile = "fig3_session_position.png";
    public const string TimeGapFile = "fig4_time_gap.png";

    private static readonly (string Label, long MaxMs)[] s_gaps =
    [
        ("<1h", 3_600_000), ("1-3h", 3 * 3_600_000L), ("3-6h", 6 * 3_600_000L), ("6-12h", 12 * 3_600_000L),
        ("12-24h", 24 * 3_600_000L), ("1-2d", 48 * 3_600_000L), ("2-4d", 96 * 3_600_000L), ("4-8d", 192 * 3_600_000L),
        (">8d", long.MaxValue),
    ];

    /// <summary>Writes the three figures into <paramref name="directory"/>.</summary>
    public static void Write(IReadOnlyList<(string Model, ScoredEvent[] Events)> series, string directory)
    {
        Directory.CreateDirectory(directory);
        int pastBuckets = 1 + series.SelectMany(s => s.Events).Select(e => PastBucket(e.PastEvents)).DefaultIfEmpty(0).Max();
        string[] pastLabels = [.. Enumerable.Range(0, pastBuckets).Select(b => b == 0 ? "1" : $"{1 << b}-{(1 << (b + 1)) - 1}")];
        Figure(series, e => PastBucket(e.PastEvents), pastLabels, "past interactions of the user",
            "Figure 2: metric vs number of past interactions", Path.Combine(directory, PastInteractionsFile));
        string[] positionLabels = [.. Enumerable.Range(0, 10).Select(i => (i + 1).ToString(CultureInfo.InvariantCulture)), "11-20", ">20"];
        Figure(series, e => e.SessionPosition < 10 ? e.SessionPosition : e.SessionPosition < 20 ? 10 : 11, positionLabels,
            "position in session", "Figure 3: metric vs position in session", Path.Combine(directory, SessionPositionFile));
        Figure(series, e => e.GapMs < 0 ? -1 : Array.FindIndex(s_gaps, g => e.GapMs < g.MaxMs), [.. s_gaps.Select(g => g.Label)],
            "time since the previous session", "Figure 4: metric vs time gap since previous session", Path.Combine(directory, TimeGapFile));
    }

    /// <summary>Buckets [1], [2, 3], [4, 7], ... of the number of past events (the first scored event has 1).</summary>
    private static int PastBucket(int past) => past <= 1 ? 0 : 31 - int.LeadingZeroCount(past);

    private static void Figure(IReadOnlyList<(string Model, ScoredEvent[] Events)> series, Func<ScoredEvent, int> bucket, string[] labels,
        string xLabel, string title, string path)
    {
        var plot = new ScottPlot.Plot();
        for (int m = 0; m < series.Count; m++)
        {
            var hits = new double[labels.Length];
            var rr = new double[labels.Length];
            var n = new long[labels.Length];
            foreach (var e in series[m].Events)
            {
                int b = bucket(e);
                if (b < 0 || b >= labels.Length)
                {
                    continue;
                }
                n[b]++;
                hits[b] += e.Rank <= 10 ? 1 : 0;
                rr[b] += 1.0 / e.Rank;
            }
            int[] used = [.. Enumerable.Range(0, labels.Length).Where(b => n[b] > 0)];
            double[] x = [.. used.Select(b => (double)b)];
            var color = ScottPlot.Palette.Default.GetColor(m);
            var recall = plot.Add.Scatter(x, [.. used.Select(b => hits[b] / n[b])]);
            recall.LegendText = $"{series[m].Model} Recall@10";
            recall.Color = color;
            var mrr = plot.Add.Scatter(x, [.. used.Select(b => rr[b] / n[b])]);
            mrr.LegendText = $"{series[m].Model} MRR";
            mrr.Color = color;
            mrr.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, labels.Length).Select(i => (double)i)], labels);
        plot.Axes.Bottom.Label.Text = xLabel;
        plot.Axes.Left.Label.Text = "Recall@10 / MRR";
        plot.Title(title);
        plot.ShowLegend();
        TrainingPlot.SaveAtomically(plot, path);
    }

    /// <summary>Reads the per-event CSV that <see cref="EvaluationReport.WriteEventsCsv"/> writes.</summary>
    public static ScoredEvent[] ReadEventsCsv(string path)
    {
        var list = new List<ScoredEvent>();
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            if (line == 1)
            {
                if (!text.StartsWith("user,event,rank,past_events,session_position,gap_ms", StringComparison.Ordinal))
                {
                    throw new Data.UserInputException($"{path}:1: not a per-event results file (expected the header user,event,rank,...)");
                }
                continue;
            }
            if (text.Length == 0)
            {
                continue;
            }
            string[] f = text.Split(',');
            if (f.Length < 9 || !int.TryParse(f[0], out int user) || !int.TryParse(f[1], out int evt) || !int.TryParse(f[2], out int rank)
                || !int.TryParse(f[3], out int past) || !int.TryParse(f[4], out int pos) || !long.TryParse(f[5], out long gap)
                || !int.TryParse(f[7], out int poolRank) || !int.TryParse(f[8], out int poolSize) || rank < 1)
            {
                throw new Data.UserInputException($"{path}:{line}: expected 9 integer fields with rank >= 1, got '{text}'");
            }
            list.Add(new ScoredEvent(user, evt, rank, past, pos, gap, poolRank, poolSize));
        }
        return [.. list];
    }
}

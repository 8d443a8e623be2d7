using HierTcn.Data.Experiments.Internal;
using HierTcn.Formats;

namespace HierTcn.Data.Experiments;

/// <summary>Reads the online A/B counters (<see cref="OnlineMetricNames"/>) out of Prometheus scrapes of inference
/// pods and adds them up per model version.</summary>
public static class OnlineScrape
{
    /// <summary>The arms found in <paramref name="scrapes"/> (each the text of one pod's <c>/metrics</c>, or a saved
    /// scrape), counters summed over all of them, ordered by version name.</summary>
    /// <exception cref="FormatException">A sample line that does not parse.</exception>
    public static IReadOnlyList<ArmCounts> Read(IEnumerable<string> scrapes)
    {
        ArgumentNullException.ThrowIfNull(scrapes);
        var arms = new SortedDictionary<string, ArmCounts>(StringComparer.Ordinal);
        foreach (string text in scrapes)
        {
            foreach (var s in PrometheusText.Parse(text))
            {
                var add = ToCounts(s);
                if (add is null)
                    continue;
                arms[add.Version] = arms.TryGetValue(add.Version, out var sum) ? sum.Add(add) : add;
            }
        }
        return [.. arms.Values];
    }

    private static ArmCounts? ToCounts(PrometheusText.Sample s)
    {
        if (!s.Name.StartsWith("hiertcn_inference_online_", StringComparison.Ordinal)
            || !s.Labels.TryGetValue(OnlineMetricNames.VersionLabel, out string? version))
            return null;
        var zero = new ArmCounts { Version = version };
        double v = s.Value;
        return s.Name switch
        {
            OnlineMetricNames.Lists => zero with { Recommendations = v },
            OnlineMetricNames.Users => zero with { Users = v },
            OnlineMetricNames.NextEvents => zero with { NextEvents = v },
            OnlineMetricNames.UnmatchedEvents => zero with { UnmatchedEvents = v },
            OnlineMetricNames.ReciprocalRankSquares => zero with { ReciprocalRankSquares = v },
            OnlineMetricNames.ReciprocalRank + "_sum" => zero with { ReciprocalRankSum = v },
            OnlineMetricNames.Hits => s.Labels.GetValueOrDefault(OnlineMetricNames.CutoffLabel) switch
            {
                "1" => zero with { Hits1 = v },
                "5" => zero with { Hits5 = v },
                "10" => zero with { Hits10 = v },
                "20" => zero with { Hits20 = v },
                _ => null,
            },
            _ => null,
        };
    }
}

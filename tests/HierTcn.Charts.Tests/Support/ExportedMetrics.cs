using System.Text;
using System.Text.RegularExpressions;
using Prometheus;

namespace HierTcn.Charts.Tests.Support;

/// <summary>
/// The sample names the services put on /metrics, each with its label names: the services' own metrics, read from
/// their prometheus-net definitions (<c>CreateCounter</c>, <c>CreateGauge</c>, <c>CreateHistogram</c>,
/// <c>CreateSummary</c> under inference/ and state-store/; a histogram exports <c>_bucket</c> with <c>le</c>,
/// <c>_sum</c> and <c>_count</c>), and the process metrics both servers register (prometheus-net's
/// <see cref="DotNetStats"/>), taken from a real export of that collector.
/// </summary>
public static partial class ExportedMetrics
{
    /// <summary>Labels Prometheus attaches to every scraped series (ServiceMonitor targets and the usual
    /// kubernetes_sd relabelling), so rules may select and group by them.</summary>
    public static readonly IReadOnlySet<string> TargetLabels = new HashSet<string>(StringComparer.Ordinal)
    {
        "namespace", "job", "instance", "pod", "service", "container", "endpoint",
    };

    public sealed record Definition(string Name, string Type, IReadOnlyList<string> LabelNames, string File);

    private static readonly Lazy<IReadOnlyList<Definition>> s_definitions = new(() => ScanSources(
        [Path.Combine(ChartPaths.RepositoryRoot, "inference"), Path.Combine(ChartPaths.RepositoryRoot, "state-store")]));

    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlySet<string>>> s_samples = new(BuildSamples);

    /// <summary>The metric definitions found in the services' sources.</summary>
    public static IReadOnlyList<Definition> Definitions => s_definitions.Value;

    /// <summary>Every exported sample name and the label names its series carry.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> Samples => s_samples.Value;

    /// <summary>Every label name some exported series carries, plus the target labels.</summary>
    public static IReadOnlySet<string> AllLabels => Samples.Values.SelectMany(l => l).Concat(TargetLabels).ToHashSet(StringComparer.Ordinal);

    public static IReadOnlyList<Definition> ScanSources(IEnumerable<string> directories) =>
        directories
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .SelectMany(f => Scan(File.ReadAllText(f), Path.GetRelativePath(ChartPaths.RepositoryRoot, f)))
            .ToList();

    /// <summary>The metric definitions in one C# source text.</summary>
    public static IReadOnlyList<Definition> Scan(string source, string file)
    {
        var found = new List<Definition>();
        foreach (Match match in CreateCall().Matches(source))
        {
            var labels = LabelNamesList().Match(match.Groups["rest"].Value);
            var names = labels.Success
                ? QuotedString().Matches(labels.Groups[1].Value).Select(m => m.Groups[1].Value).ToList()
                : [];
            found.Add(new Definition(match.Groups["name"].Value, match.Groups["type"].Value.ToLowerInvariant(), names, file));
        }
        return found;
    }

    /// <summary>Sample names and label names in Prometheus text exposition format.</summary>
    public static Dictionary<string, IReadOnlySet<string>> ParseExposition(string text)
    {
        var samples = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var sample = SampleLine().Match(line);
            if (!sample.Success)
                continue;
            var labels = LabelMatcherName().Matches(sample.Groups["labels"].Value).Select(m => m.Groups[1].Value);
            string name = sample.Groups["name"].Value;
            samples[name] = (samples.TryGetValue(name, out var known) ? known : Enumerable.Empty<string>()).Concat(labels).ToHashSet(StringComparer.Ordinal);
        }
        return samples;
    }

    /// <summary>The text prometheus-net exports for the process metrics both servers register.</summary>
    public static string ProcessMetricsExposition()
    {
        var registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        using var stream = new MemoryStream();
        registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static IReadOnlyDictionary<string, IReadOnlySet<string>> BuildSamples()
    {
        var samples = ParseExposition(ProcessMetricsExposition());
        foreach (var d in Definitions)
        {
            var labels = d.LabelNames.ToHashSet(StringComparer.Ordinal);
            switch (d.Type)
            {
                case "histogram":
                    samples[d.Name + "_bucket"] = labels.Append("le").ToHashSet(StringComparer.Ordinal);
                    samples[d.Name + "_sum"] = labels;
                    samples[d.Name + "_count"] = labels;
                    break;
                case "summary":
                    samples[d.Name] = labels.Append("quantile").ToHashSet(StringComparer.Ordinal);
                    samples[d.Name + "_sum"] = labels;
                    samples[d.Name + "_count"] = labels;
                    break;
                default:
                    samples[d.Name] = labels;
                    break;
            }
        }
        return samples;
    }

    [GeneratedRegex("""\.Create(?<type>Counter|Gauge|Histogram|Summary)\(\s*"(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)"(?<rest>.*?)\);""", RegexOptions.Singleline)]
    private static partial Regex CreateCall();

    [GeneratedRegex(@"LabelNames\s*=\s*(?:\[|new\s*(?:string)?\s*\[\]\s*\{)([^\]}]*)")]
    private static partial Regex LabelNamesList();

    [GeneratedRegex("\"([^\"]*)\"")]
    private static partial Regex QuotedString();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})?\s")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*""")]
    private static partial Regex LabelMatcherName();
}

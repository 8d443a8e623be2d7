using System.Text;
using System.Text.RegularExpressions;
using Prometheus;

namespace HierTcn.Charts.Tests.Support;

/// <summary>
/// The sample names the services put on /metrics, each with its label names: the services' own metrics, read from
/// their prometheus-net definitions (<c>CreateCounter</c>, <c>CreateGauge</c>, <c>CreateHistogram</c>,
/// <c>CreateSummary</c> under inference/ and state-store/, with names and labels given as string literals or as
/// <c>Class.Constant</c> string constants declared there or in formats/; a histogram exports <c>_bucket</c> with
/// <c>le</c>, <c>_sum</c> and <c>_count</c>), and the process metrics both servers register (prometheus-net's
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

    public static IReadOnlyList<Definition> ScanSources(IEnumerable<string> directories)
    {
        var files = directories
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var formats = Directory.EnumerateFiles(Path.Combine(ChartPaths.RepositoryRoot, "formats"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        var constants = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string f in files.Concat(formats))
        {
            foreach (var (name, value) in Constants(File.ReadAllText(f)))
                constants[name] = value;
        }
        return [.. files.SelectMany(f => Scan(File.ReadAllText(f), Path.GetRelativePath(ChartPaths.RepositoryRoot, f), constants))];
    }

    /// <summary>The metric definitions in one C# source text; a name or label given as <c>Class.Constant</c> is
    /// looked up in <paramref name="constants"/> (and kept as written when it is not there, so it matches nothing).</summary>
    public static IReadOnlyList<Definition> Scan(string source, string file, IReadOnlyDictionary<string, string>? constants = null)
    {
        string Resolve(Match m) => m.Groups["text"].Success ? m.Groups["text"].Value
            : constants?.GetValueOrDefault(m.Groups["constant"].Value) ?? m.Groups["constant"].Value;
        var found = new List<Definition>();
        foreach (Match match in CreateCall().Matches(source))
        {
            var labels = LabelNamesList().Match(match.Groups["rest"].Value);
            var names = labels.Success
                ? StringOrConstant().Matches(labels.Groups[1].Value).Select(Resolve).ToList()
                : [];
            found.Add(new Definition(Resolve(match), match.Groups["type"].Value.ToLowerInvariant(), names, file));
        }
        return found;
    }

    /// <summary>The string constants a source declares, as <c>Class.Name</c> (the class is the file's first static
    /// class) and their values.</summary>
    public static IEnumerable<(string Name, string Value)> Constants(string source)
    {
        var owner = StaticClass().Match(source);
        if (!owner.Success)
            yield break;
        foreach (Match constant in StringConstant().Matches(source))
            yield return ($"{owner.Groups[1].Value}.{constant.Groups[1].Value}", constant.Groups[2].Value);
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

    [GeneratedRegex("""\.Create(?<type>Counter|Gauge|Histogram|Summary)\(\s*(?:"(?<text>[a-zA-Z_:][a-zA-Z0-9_:]*)"|(?<constant>[A-Z][A-Za-z0-9_]*\.[A-Z][A-Za-z0-9_]*))(?<rest>.*?)\);""", RegexOptions.Singleline)]
    private static partial Regex CreateCall();

    [GeneratedRegex("""
        "(?<text>[^"]*)"|(?<constant>\b[A-Z][A-Za-z0-9_]*\.[A-Z][A-Za-z0-9_]*\b)
        """)]
    private static partial Regex StringOrConstant();

    [GeneratedRegex(@"\bstatic\s+(?:partial\s+)?class\s+([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex StaticClass();

    [GeneratedRegex(@"\bconst\s+string\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*""([^""]*)""\s*;")]
    private static partial Regex StringConstant();

    [GeneratedRegex(@"LabelNames\s*=\s*(?:\[|new\s*(?:string)?\s*\[\]\s*\{)([^\]}]*)")]
    private static partial Regex LabelNamesList();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})?\s")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*""")]
    private static partial Regex LabelMatcherName();
}

using System.Globalization;
using System.Net.Http;

namespace HierTcn.LoadGen;

/// <summary>
/// The server's own latency histogram for one gRPC method (<c>hiertcn_inference_call_duration_seconds</c>, summed
/// over model versions), read from its Prometheus endpoint: the difference of two scrapes is what the server measured
/// in between, which tells the server's time apart from the load generator's when both share the cores.
/// </summary>
internal sealed class ServerHistogram
{
    private readonly SortedDictionary<double, double> _cumulative;

    private ServerHistogram(SortedDictionary<double, double> cumulative) => _cumulative = cumulative;

    public static async Task<ServerHistogram> ScrapeAsync(HttpClient http, string url, string method)
    {
        var buckets = new SortedDictionary<double, double>();
        string marker = $"method=\"{method}\"";
        foreach (string line in (await http.GetStringAsync(url).ConfigureAwait(false)).Split('\n'))
        {
            if (!line.StartsWith("hiertcn_inference_call_duration_seconds_bucket{", StringComparison.Ordinal) || !line.Contains(marker, StringComparison.Ordinal))
                continue;
            int le = line.IndexOf("le=\"", StringComparison.Ordinal) + 4;
            string bound = line[le..line.IndexOf('"', le)];
            double upper = bound == "+Inf" ? double.PositiveInfinity : double.Parse(bound, CultureInfo.InvariantCulture);
            double count = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            buckets[upper] = buckets.GetValueOrDefault(upper) + count;
        }
        return new ServerHistogram(buckets);
    }

    public ServerHistogram Minus(ServerHistogram earlier) =>
        new(new SortedDictionary<double, double>(_cumulative.ToDictionary(p => p.Key, p => p.Value - earlier._cumulative.GetValueOrDefault(p.Key))));

    /// <summary>The bucket bounds that hold p50, p99 and p99.9 ("p99 &lt;= 6.4 ms": the true value is at most that).</summary>
    public string Summary()
    {
        double total = _cumulative.Count == 0 ? 0 : _cumulative.Values.Max();
        if (total <= 0)
            return "no calls";
        string Bound(double q)
        {
            foreach (var (upper, count) in _cumulative)
            {
                if (count >= q * total)
                    return double.IsPositiveInfinity(upper) ? "> last bucket" : $"<= {upper * 1000:F1} ms";
            }
            return "?";
        }
        return string.Create(CultureInfo.InvariantCulture, $"p50 {Bound(0.5)}, p99 {Bound(0.99)}, p99.9 {Bound(0.999)} ({total:F0} calls)");
    }
}

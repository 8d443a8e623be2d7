using System.CommandLine;
using HierTcn.Data;
using HierTcn.Data.Experiments;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn ab report</c>: the verdict of an A/B test from the inference pods' online counters (scraped,
/// or saved scrapes), as text or JSON (<see cref="AbReport"/>).</summary>
internal static class AbCommand
{
    public static Command Create()
    {
        var metrics = new Option<string>("--metrics")
        {
            Description = "Comma-separated sources: pods' /metrics URLs (http://POD:9465/metrics) or saved scrape files; counters are summed over all.",
            Required = true,
        };
        var control = new Option<string?>("--control") { Description = "The control arm (default: the arm with the most recommendations)." };
        var lift = new Option<double>("--lift")
        {
            Description = "Relative lift of Recall@10 the power estimate is for (0.05 = 5%).",
            DefaultValueFactory = _ => 0.05,
        };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var report = new Command("report", "Per arm: users, recommendations, matched next events, Recall@10 and MRR with 95% intervals; "
            + "each arm against the control with a two-sided test and a power estimate; the verdict.")
        {
            metrics, control, lift, json,
        };
        report.SetAction(parse => CommandRunner.Run(() => Run(parse.GetValue(metrics)!, parse.GetValue(control), parse.GetValue(lift),
            parse.GetValue(json))));
        return new Command("ab", "A/B tests between model versions, measured online by the inference service.") { report };
    }

    private static int Run(string metrics, string? control, double lift, bool json)
    {
        if (!(lift > 0) || double.IsInfinity(lift))
            throw new UserInputException($"--lift is {lift}; a relative lift above 0 (0.05 = 5%)");
        var sources = metrics.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (sources.Length == 0)
            throw new UserInputException("--metrics names no source");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var texts = ScrapeSources.LoadAsync(sources, http).GetAwaiter().GetResult();
        AbReport report;
        try
        {
            report = AbReport.Build(OnlineScrape.Read(texts), control, lift);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new UserInputException(e.Message);
        }
        Console.Write(json ? report.ToJson() + Environment.NewLine : report.ToText());
        return CommandRunner.ExitOk;
    }
}

using System.CommandLine;
using System.Globalization;
using HierTcn.Data.Evaluation;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn report-table</c>: a Markdown table of the event-averaged metrics of several JSON reports; a
/// report with new-item events (items without a training event) adds a row for known and one for new items. A model
/// trained with the recent-popularity prior is named with "+prior", one with the time between sessions with "+gap".</summary>
internal static class ReportTableCommand
{
    public static Command Create()
    {
        var reports = new Argument<string[]>("reports") { Description = "JSON reports (train, eval, baseline --report).", Arity = ArgumentArity.OneOrMore };
        var command = new Command("report-table", "Print a Markdown table of JSON reports' event-averaged metrics.") { reports };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine("| model | split | R@1 | R@5 | R@10 | R@20 | MRR | MRP | events | train s | hyper-parameters |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (string path in parse.GetValue(reports)!)
            {
                var r = EvaluationReport.ReadJson(path);
                string hyper = string.Join(", ", r.HyperParameters
                    .Where(kv => kv.Key is "epochs" or "best_epoch" or "max_train_users" or "parameters" or "high_layers" or "low_layers" or "items")
                    .Select(kv => $"{kv.Key}={kv.Value}"));
                void Row(string model, MetricSet m) => Console.WriteLine(string.Create(inv,
                    $"| {model} | {r.Split} | {m.Recall1:F4} | {m.Recall5:F4} | {m.Recall10:F4} | {m.Recall20:F4} | {m.Mrr:F4} | {m.Mrp:F4} | {m.N:N0} | {r.TrainWallTimeSeconds:F0} | {hyper} |"));
                string name = r.Model + (IsOn(r, "recent_pop_prior") ? "+prior" : "") + (IsOn(r, "high_time_gap") ? "+gap" : "");
                Row(name, r.Metrics.Event);
                if (r.KnownItems is not null && r.NewItems is not null)
                {
                    // Events on items the model saw in training, then on items it never saw.
                    Row(name + " (known items)", r.KnownItems.Event);
                    Row(name + " (new items)", r.NewItems.Event);
                }
            }
            return CommandRunner.ExitOk;
        }));
        return command;
    }

    /// <summary>Whether a report's hyper-parameter is true (a bool when made here, a JSON value when read back).</summary>
    private static bool IsOn(EvaluationReport report, string key) =>
        report.HyperParameters.TryGetValue(key, out object? v) && string.Equals(v?.ToString(), "true", StringComparison.OrdinalIgnoreCase);
}

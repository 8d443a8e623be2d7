using System.CommandLine;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Baselines;
using Spectre.Console;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn feature-baseline</c>: the paper's MV and MaxItem baselines on a dataset's item vectors.</summary>
internal static class FeatureBaselineCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Prepared dataset with item features (prepare --items).", Required = true };
        var model = new Option<string>("--model") { Description = "mv (mean vector) or maxitem.", Required = true };
        model.AcceptOnlyFromAmong("mv", "maxitem");
        var split = new Option<string>("--split") { Description = "validation or test.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("validation", "test");
        var history = new Option<int>("--history") { Description = "Most recent past events read per query.", DefaultValueFactory = _ => 200 };
        var report = new Option<string?>("--report") { Description = "Write the JSON report (PROTOCOL.md section 8) here." };
        var eventsCsv = new Option<string?>("--events-csv") { Description = "Write one CSV row per scored event here." };
        var command = new Command("feature-baseline", "Evaluate the MV or MaxItem baseline on items with feature vectors.")
        {
            data, model, split, history, report, eventsCsv,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            using var dataset = PreparedDataset.Open(parse.GetValue(data)!);
            var baseline = FeatureBaseline.Create(parse.GetValue(model)!, dataset, parse.GetValue(history));
            var splitValue = parse.GetValue(split) == "validation" ? DataSplit.Validation : DataSplit.Test;
            string? csv = parse.GetValue(eventsCsv);
            var result = Evaluator.Evaluate(dataset, baseline, splitValue, new EvaluationOptions { KeepEventResults = csv is not null });
            TrainCommand.Render(result);
            if (parse.GetValue(report) is { } path)
            {
                result.WriteJson(path);
                AnsiConsole.MarkupLineInterpolated($"report: [bold]{path}[/]");
            }
            if (csv is not null)
            {
                result.WriteEventsCsv(csv);
            }
            return CommandRunner.ExitOk;
        }));
        return command;
    }
}

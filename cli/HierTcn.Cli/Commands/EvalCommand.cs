using System.CommandLine;
using HierTcn.Data;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Evaluation;
using HierTcn.Trainer.Plots;
using HierTcn.Trainer.Training;
using Spectre.Console;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn eval</c>: evaluates a trained run's best weights on a split (or on another file's users).</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "Run directory (./hiertcn train --out).", Required = true };
        var data = new Option<string>("--data") { Description = "Prepared dataset the run was trained on.", Required = true };
        var split = new Option<string>("--split") { Description = "validation or test.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("validation", "test");
        var report = new Option<string?>("--report") { Description = "Write the JSON report (PROTOCOL.md section 8) here." };
        var score = new Option<string?>("--score") { Description = "Score the users of this dataset (prepared with --catalog-from DATA) instead." };
        var eventsCsv = new Option<string?>("--events-csv") { Description = "Write one CSV row per scored event here." };
        var device = new Option<string>("--device") { Description = "cpu or cuda (the same evaluation path on a GPU).", DefaultValueFactory = _ => "cpu" };
        var figures = new Option<string?>("--figures") { Description = "Write the paper's Figures 2-4 for this evaluation into this directory." };

        var command = new Command("eval", "Evaluate a trained run's best weights (PROTOCOL.md).") { run, data, split, report, score, eventsCsv, figures, device };
        command.SetAction(parse => CommandRunner.Run(() => Run(parse.GetValue(run)!, parse.GetValue(data)!, parse.GetValue(split)!,
            parse.GetValue(report), parse.GetValue(score), parse.GetValue(eventsCsv), parse.GetValue(figures), parse.GetValue(device)!)));
        return command;
    }

    private static int Run(string runDir, string dataDir, string splitName, string? reportPath, string? scoreDir, string? eventsCsv, string? figures, string device)
    {
        var split = splitName == "validation" ? DataSplit.Validation : DataSplit.Test;
        if (scoreDir is not null && split != DataSplit.Test)
        {
            throw new UserInputException("--score scores the other dataset's users as test users (PROTOCOL.md section 9); drop --split validation");
        }
        using var fitData = PreparedDataset.Open(dataDir);
        var config = new RunDirectory(runDir).ReadConfig();
        if (config.DataSha256 != fitData.Header.DataSha256)
        {
            throw new UserInputException($"--data {dataDir}: not the dataset the run in {runDir} was trained on (data sha256 differs).");
        }
        using var scoreData = scoreDir is null ? null : PreparedDataset.Open(scoreDir);
        if (scoreData is not null && (scoreData.Header.SplitKind != SplitKind.Score || !scoreData.ItemIds.SequenceEqual(fitData.ItemIds)))
        {
            throw new UserInputException($"--score {scoreDir}: not prepared with --catalog-from {dataDir} (different catalogue or split kind).");
        }
        var model = TrainedRun.LoadRanking(runDir, fitData, device);
        var target = scoreData ?? fitData;
        EvaluationReport result = null!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{model.Name}: ranking {splitName} events");
                result = Evaluator.Evaluate(target, model, split, NeuralRankingModel.Batched(new EvaluationOptions
                {
                    MaxDegreeOfParallelism = config.Training.Threads,
                    Seed = config.Training.Seed,
                    KeepEventResults = eventsCsv is not null || figures is not null,
                    Progress = (done, total) =>
                    {
                        task.MaxValue = Math.Max(total, 1);
                        task.Value = done;
                    },
                }));
            });
        if (scoreData is not null)
        {
            result = result with { FitDataset = ReportDataset.From(fitData) };
        }
        TrainCommand.Render(result);
        if (reportPath is not null)
        {
            result.WriteJson(reportPath);
            AnsiConsole.MarkupLineInterpolated($"report: [bold]{reportPath}[/]");
        }
        if (eventsCsv is not null)
        {
            result.WriteEventsCsv(eventsCsv);
        }
        if (figures is not null)
        {
            FigurePlots.Write([(result.Model, result.Events!)], figures);
            AnsiConsole.MarkupLineInterpolated($"figures: [bold]{figures}[/]");
        }
        return CommandRunner.ExitOk;
    }
}

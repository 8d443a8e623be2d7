using System.CommandLine;
using System.Diagnostics;
using HierTcn.Data;
using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;
using Spectre.Console;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn baseline</c>: fits a simple baseline on a prepared dataset's training split and evaluates it.</summary>
internal static class BaselineCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Prepared dataset directory (./hiertcn prepare) to fit on.", Required = true };
        var model = new Option<string>("--model") { Description = "Baseline: pop, recentpop, cooc or sknn.", Required = true };
        model.AcceptOnlyFromAmong([.. BaselineModels.Names]);
        var split = new Option<string>("--split") { Description = "Split to score: validation or test.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("validation", "test");
        var report = new Option<string?>("--report") { Description = "Write the JSON report (PROTOCOL.md section 8) here." };
        var score = new Option<string?>("--score")
        {
            Description = "Score the users of this dataset (prepared with --catalog-from DATA) instead of DATA's own split.",
        };
        var eventsCsv = new Option<string?>("--events-csv") { Description = "Write one CSV row per scored event (rank and covariates) here." };
        var sampleSize = new Option<int>("--sample-size") { Description = "sknn: candidate neighbour sessions.", DefaultValueFactory = _ => 1000 };
        var neighbours = new Option<int>("--neighbours") { Description = "sknn: neighbours kept (k).", DefaultValueFactory = _ => 100 };
        var sessionAware = new Option<bool>("--session-aware")
        {
            Description = "sknn: use the previous session when a new session starts.",
            DefaultValueFactory = _ => true,
        };
        var remind = new Option<bool>("--remind") { Description = "sknn: let items of the current session score from neighbours." };
        var batch = new Option<int>("--batch-size") { Description = "Queries per scoring call.", DefaultValueFactory = _ => 512 };
        var window = new Option<double>("--window-minutes")
        {
            Description = "recentpop: count the training events of this many minutes before each event.",
            DefaultValueFactory = _ => RecentPopularityModel.DefaultWindowMs / 60_000.0,
        };

        var command = new Command("baseline", "Fit a simple baseline (pop, recentpop, cooc, sknn) on the training split and evaluate it.")
        {
            data, model, split, report, score, eventsCsv, sampleSize, neighbours, sessionAware, remind, batch, window,
        };
        command.SetAction(parse => CommandRunner.Run(() => Run(
            parse.GetValue(data)!, parse.GetValue(model)!, parse.GetValue(split)!, parse.GetValue(report), parse.GetValue(score),
            parse.GetValue(eventsCsv),
            new SessionKnnOptions
            {
                SampleSize = parse.GetValue(sampleSize),
                Neighbours = parse.GetValue(neighbours),
                SessionAware = parse.GetValue(sessionAware),
                Remind = parse.GetValue(remind),
            },
            parse.GetValue(batch), parse.GetValue(window))));
        return command;
    }

    private static int Run(string dataDir, string modelName, string splitName, string? reportPath, string? scoreDir, string? eventsCsv,
        SessionKnnOptions knn, int batchSize, double windowMinutes = RecentPopularityModel.DefaultWindowMs / 60_000.0)
    {
        if (!(windowMinutes > 0) || double.IsInfinity(windowMinutes))
        {
            throw new UserInputException($"--window-minutes must be a positive number of minutes, got {windowMinutes}");
        }
        if (batchSize < 1)
        {
            throw new UserInputException($"--batch-size must be positive, got {batchSize}");
        }
        var split = splitName == "validation" ? DataSplit.Validation : DataSplit.Test;
        if (scoreDir is not null && split != DataSplit.Test)
        {
            throw new UserInputException("--score scores the other dataset's users as test users (PROTOCOL.md section 9); drop --split validation");
        }
        using var fitData = PreparedDataset.Open(dataDir);
        using var scoreData = scoreDir is null ? null : PreparedDataset.Open(scoreDir);
        if (scoreData is not null)
        {
            CheckSameCatalogue(fitData, scoreData);
        }

        var clock = Stopwatch.StartNew();
        var model = BaselineModels.Fit(modelName, fitData, knn, (long)Math.Round(windowMinutes * 60_000));
        double fitSeconds = clock.Elapsed.TotalSeconds;

        var target = scoreData ?? fitData;
        EvaluationReport result = null!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{modelName}: ranking {splitName} events");
                result = Evaluator.Evaluate(target, model, split, new EvaluationOptions
                {
                    BatchSize = batchSize,
                    TrainWallTimeSeconds = fitSeconds,
                    KeepEventResults = eventsCsv is not null,
                    Progress = (done, total) =>
                    {
                        task.MaxValue = Math.Max(total, 1);
                        task.Value = done;
                    },
                });
                task.Value = task.MaxValue;
            });
        if (scoreData is not null)
        {
            result = result with { FitDataset = ReportDataset.From(fitData) };
        }

        Render(result);
        if (reportPath is not null)
        {
            result.WriteJson(reportPath);
            AnsiConsole.MarkupLineInterpolated($"report: [bold]{reportPath}[/]");
        }
        if (eventsCsv is not null)
        {
            result.WriteEventsCsv(eventsCsv);
            AnsiConsole.MarkupLineInterpolated($"per-event results: [bold]{eventsCsv}[/]");
        }
        return CommandRunner.ExitOk;
    }

    private static void CheckSameCatalogue(PreparedDataset fit, PreparedDataset score)
    {
        if (score.Header.SplitKind != SplitKind.Score)
        {
            throw new UserInputException(
                $"--score {score.Directory}: prepared with --split {score.Header.Split}; prepare it with --catalog-from {fit.Directory}");
        }
        if (score.Header.CatalogFromSha256 is { } parent && parent != fit.Header.InputSha256)
        {
            throw new UserInputException(
                $"--score {score.Directory}: its catalogue comes from an input with sha256 {parent}, but --data {fit.Directory} "
                + $"was prepared from {fit.Header.InputSha256}; prepare it again with --catalog-from {fit.Directory}");
        }
        if (!score.ItemIds.SequenceEqual(fit.ItemIds))
        {
            throw new UserInputException(
                $"--score {score.Directory}: its catalogue ({score.ItemCount} items) differs from that of --data {fit.Directory} "
                + $"({fit.ItemCount} items); prepare it again with --catalog-from {fit.Directory}");
        }
    }

    private static void Render(EvaluationReport r)
    {
        if (Console.IsOutputRedirected)
        {
            // Logs and pipes get the plain table: Spectre would wrap it at its default 80 columns.
            Console.Write(r.FormatTable());
            return;
        }
        AnsiConsole.MarkupLineInterpolated(
            $"[bold]{r.Model}[/] on [bold]{r.Dataset.Name}[/] ({r.Dataset.SplitKind} split, {r.Split}): N = {r.Dataset.Items:N0} items, {r.Metrics.Event.N:N0} events of {r.ScoredUsers:N0} users; fit {r.TrainWallTimeSeconds:F1} s, eval {r.EvalWallTimeSeconds:F1} s ({r.EventsPerSecond:N0} events/s), peak memory {r.PeakMemoryBytes / 1048576.0:N0} MiB");
        var table = new Table();
        foreach (string column in new[] { "", "R@1", "R@5", "R@10", "R@20", "MRR", "MRP", "n" })
        {
            table.AddColumn(new TableColumn(column).NoWrap());
        }
        void Row(string name, MetricSet m) => table.AddRow(name, F(m.Recall1), F(m.Recall5), F(m.Recall10), F(m.Recall20), F(m.Mrr), F(m.Mrp), m.N.ToString("N0"));
        void Groups(string prefix, MetricGroups g)
        {
            Row(prefix + "event", g.Event);
            Row(prefix + "user", g.User);
            Row(prefix + "new_session", g.NewSession);
            Row(prefix + "within_session", g.WithinSession);
        }
        Groups("", r.Metrics);
        if (r.Impressions is not null)
        {
            Groups("pool/", r.Impressions);
        }
        AnsiConsole.Write(table);
    }

    private static string F(double x) => x.ToString("F4");
}

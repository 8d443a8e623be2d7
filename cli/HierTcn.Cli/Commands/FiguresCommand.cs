using System.CommandLine;
using HierTcn.Data;
using HierTcn.Data.Evaluation;
using HierTcn.Trainer.Plots;
using Spectre.Console;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn figures</c>: the paper's Figures 2-4 for several models from their per-event CSVs
/// (<c>train</c> writes events.test.csv; <c>eval</c> and <c>baseline</c> write one with --events-csv).</summary>
internal static class FiguresCommand
{
    public static Command Create()
    {
        var events = new Option<string[]>("--events")
        {
            Description = "NAME=PATH of a per-event CSV; repeat for each model.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string>("--out") { Description = "Directory for the PNG files.", Required = true };
        var command = new Command("figures", "Plot metric vs past interactions, session position and time gap (the paper's Figures 2-4).") { events, output };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var series = new List<(string, ScoredEvent[])>();
            foreach (string spec in parse.GetValue(events)!)
            {
                int eq = spec.IndexOf('=');
                if (eq <= 0 || eq == spec.Length - 1)
                {
                    throw new UserInputException($"--events {spec}: expected NAME=PATH");
                }
                series.Add((spec[..eq], FigurePlots.ReadEventsCsv(spec[(eq + 1)..])));
            }
            string dir = parse.GetValue(output)!;
            FigurePlots.Write(series, dir);
            AnsiConsole.MarkupLineInterpolated($"figures: [bold]{Path.GetFullPath(dir)}[/]");
            return CommandRunner.ExitOk;
        }));
        return command;
    }
}

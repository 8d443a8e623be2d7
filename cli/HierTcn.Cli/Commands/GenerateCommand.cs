using System.CommandLine;
using System.Globalization;
using HierTcn.Data.Synthetic;
using Spectre.Console;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn generate</c>: the synthetic Pinterest-like dataset (events with impressions, item features).</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var d = new SyntheticOptions();
        var output = new Option<string>("--out", "-o") { Description = "Directory for events.csv.gz, items.csv.gz and synthetic.json (created).", Required = true };
        var users = new Option<int>("--users") { Description = "Number of users.", DefaultValueFactory = _ => d.Users };
        var items = new Option<int>("--items") { Description = "Number of items (their features are held in memory).", DefaultValueFactory = _ => d.Items };
        var dim = new Option<int>("--dim") { Description = $"Item feature dimension (2..{SyntheticOptions.MaxDim}).", DefaultValueFactory = _ => d.Dim };
        var topics = new Option<int>("--topics") { Description = "Topic clusters of the items.", DefaultValueFactory = _ => d.Topics };
        var seed = new Option<ulong>("--seed") { Description = "Seed: the same seed and options give byte-identical files.", DefaultValueFactory = _ => d.Seed };
        var impressions = new Option<int>("--impressions") { Description = "Items shown at each step, the clicked one among them.", DefaultValueFactory = _ => d.ImpressionsPerStep };
        var minSessions = new Option<int>("--min-sessions") { Description = "Fewest sessions a user.", DefaultValueFactory = _ => d.MinSessions };
        var maxSessions = new Option<int>("--max-sessions") { Description = "Most sessions a user.", DefaultValueFactory = _ => d.MaxSessions };
        var minLength = new Option<int>("--min-session-length") { Description = "Fewest clicks a session.", DefaultValueFactory = _ => d.MinSessionLength };
        var maxLength = new Option<int>("--max-session-length") { Description = "Most clicks a session.", DefaultValueFactory = _ => d.MaxSessionLength };
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature of the click (lower: more predictable).", DefaultValueFactory = _ => d.Temperature };
        var newItems = new Option<double>("--new-items") { Description = $"Share of the items published over time (days {SyntheticOptions.NewItemsFirstDay:0} to {SyntheticOptions.NewItemsLastDay:0}) instead of existing from the start; writes published.csv.gz.", DefaultValueFactory = _ => d.NewItems };
        var freshShare = new Option<double>("--fresh-share") { Description = "Chance that a slot of the current topic shows one of its fresh (recently published) items.", DefaultValueFactory = _ => d.FreshShare };
        var freshDays = new Option<double>("--fresh-days") { Description = "Days an item counts as fresh after its publication.", DefaultValueFactory = _ => d.FreshDays };

        var command = new Command("generate", "Generate the synthetic Pinterest-like dataset: item features in topics, drifting long-term and moving short-term user interests, ~10 impressions a click.")
        {
            output, users, items, dim, topics, seed, impressions, minSessions, maxSessions, minLength, maxLength, temperature,
            newItems, freshShare, freshDays,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var options = d with
            {
                Users = parse.GetValue(users),
                Items = parse.GetValue(items),
                Dim = parse.GetValue(dim),
                Topics = parse.GetValue(topics),
                Seed = parse.GetValue(seed),
                ImpressionsPerStep = parse.GetValue(impressions),
                MinSessions = parse.GetValue(minSessions),
                MaxSessions = parse.GetValue(maxSessions),
                MinSessionLength = parse.GetValue(minLength),
                MaxSessionLength = parse.GetValue(maxLength),
                Temperature = parse.GetValue(temperature),
                NewItems = parse.GetValue(newItems),
                FreshShare = parse.GetValue(freshShare),
                FreshDays = parse.GetValue(freshDays),
            };
            return Execute(parse.GetValue(output)!, options);
        }));
        return command;
    }

    internal static int Execute(string output, SyntheticOptions options)
    {
        options.Validate();
        SyntheticSummary summary = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("users", maxValue: 1.0);
                summary = SyntheticGenerator.Generate(output, options, new Progress(task));
                task.Value(1.0);
            });
        var table = new Table().HideHeaders().AddColumns("", "");
        table.Title = new TableTitle($"synthetic data -> {Markup.Escape(output)}");
        table.AddRow("users / items / dim", $"{options.Users:N0} / {options.Items:N0} / {options.Dim}");
        table.AddRow("events / sessions", $"{summary.Events:N0} / {summary.Sessions:N0}");
        table.AddRow("impression ids", summary.ImpressionIds.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("events file", $"{Markup.Escape(summary.EventsPath)} ({new FileInfo(summary.EventsPath).Length / 1048576.0:F1} MiB, {summary.EventsTextBytes / 1048576.0:F1} MiB as text)");
        table.AddRow("items file", Markup.Escape(summary.ItemsPath));
        if (summary.PublishedPath is not null)
        {
            table.AddRow("new items", $"{options.Items - options.StartItems:N0}, published days {SyntheticOptions.NewItemsFirstDay:0} to {SyntheticOptions.NewItemsLastDay:0} ({Markup.Escape(summary.PublishedPath)})");
        }
        table.AddRow("seed", options.Seed.ToString(CultureInfo.InvariantCulture));
        table.AddRow("wall time", $"{summary.Seconds:F2} s ({summary.Events / Math.Max(summary.Seconds, 1e-9):N0} events/s)");
        AnsiConsole.Write(table);
        string split = summary.PublishedPath is null ? "" : " --split warm";
        AnsiConsole.MarkupLine($"next: [bold]./hiertcn prepare --input {Markup.Escape(summary.EventsPath)} --impressions-col impressions --items {Markup.Escape(summary.ItemsPath)}{split} --out DIR[/]");
        return CommandRunner.ExitOk;
    }

    private sealed class Progress(ProgressTask task) : IProgress<double>
    {
        public void Report(double value) => task.Value(value);
    }
}

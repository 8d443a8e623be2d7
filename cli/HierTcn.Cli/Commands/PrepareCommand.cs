using System.CommandLine;
using System.Globalization;
using HierTcn.Data;
using HierTcn.Data.Dataset;
using HierTcn.Data.Ingest;
using HierTcn.Data.Preparation;
using Spectre.Console;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn prepare</c>: an events file to a prepared dataset per PROTOCOL.md.</summary>
internal static class PrepareCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input", "-i") { Description = "Events file: CSV or TSV with a header, plain or gzip, or Parquet.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Directory to write the prepared dataset to (created; an existing dataset there is replaced atomically).", Required = true };
        var split = new Option<string>("--split") { Description = "cold: by user (PROTOCOL.md 4); warm: by time (5). Ignored with --catalog-from.", DefaultValueFactory = _ => "cold" };
        split.AcceptOnlyFromAmong("cold", "warm");
        var catalogFrom = new Option<string?>("--catalog-from") { Description = "A prepared dataset D0: score this file's users against D0's catalogue (PROTOCOL.md 9); all users become test users." };
        var items = new Option<string?>("--items") { Description = "Item feature file (item_id,f0..f{d-1}; CSV/TSV, plain or gzip, or Parquet with float or double features) stored with the dataset." };
        var userCol = new Option<string>("--user-col") { Description = "User id column.", DefaultValueFactory = _ => "user_id" };
        var itemCol = new Option<string>("--item-col") { Description = "Item id column (also the id column of --items).", DefaultValueFactory = _ => "item_id" };
        var timeCol = new Option<string>("--time-col") { Description = "Timestamp column (1990..2100; see --time-unit).", DefaultValueFactory = _ => "timestamp_ms" };
        var timeUnit = new Option<string>("--time-unit")
        {
            Description = "Timestamp unit: s, ms or us since the epoch, iso (ISO-8601), or auto (detected from the first 1,000 rows and printed; a mixed column is refused).",
            DefaultValueFactory = _ => "auto",
        };
        timeUnit.AcceptOnlyFromAmong("auto", "s", "ms", "us", "iso");
        var impCol = new Option<string?>("--impressions-col") { Description = "Column of the item ids shown with each event, separated by spaces (e.g. impressions)." };
        var onBadRow = new Option<string>("--on-bad-row") { Description = "skip: count bad rows, report the first 5, go on; fail: stop at the first.", DefaultValueFactory = _ => "skip" };
        onBadRow.AcceptOnlyFromAmong("skip", "fail");
        var name = new Option<string?>("--name") { Description = "Dataset name for reports (default: the input file's name)." };

        var command = new Command("prepare", "Prepare an events file per PROTOCOL.md: filters, 30-minute sessions, cold/warm split or section 9 scoring.")
        {
            input, output, split, catalogFrom, items, userCol, itemCol, timeCol, timeUnit, impCol, onBadRow, name,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            if (parse.GetValue(catalogFrom) is not null && parse.GetResult(split) is { Implicit: false })
            {
                throw new UserInputException("--split and --catalog-from exclude each other: a --catalog-from dataset scores all its users as test users (PROTOCOL.md 9)");
            }
            var options = new PrepareOptions
            {
                Split = parse.GetValue(split) == "warm" ? SplitKind.Warm : SplitKind.Cold,
                CatalogFrom = parse.GetValue(catalogFrom),
                ItemsPath = parse.GetValue(items),
                Name = parse.GetValue(name),
                Ingest = new EventIngestOptions
                {
                    UserColumn = parse.GetValue(userCol)!,
                    ItemColumn = parse.GetValue(itemCol)!,
                    TimeColumn = parse.GetValue(timeCol)!,
                    TimeUnit = parse.GetValue(timeUnit) switch
                    {
                        "s" => TimeUnit.Seconds,
                        "ms" => TimeUnit.Milliseconds,
                        "us" => TimeUnit.Microseconds,
                        "iso" => TimeUnit.Iso,
                        _ => TimeUnit.Auto,
                    },
                    ImpressionsColumn = parse.GetValue(impCol),
                    OnBadRow = parse.GetValue(onBadRow) == "fail" ? BadRowPolicy.Fail : BadRowPolicy.Skip,
                },
            };
            return Execute(parse.GetValue(input)!, parse.GetValue(output)!, options);
        }));
        return command;
    }

    internal static int Execute(string input, string output, PrepareOptions options)
    {
        var started = DateTime.UtcNow;
        DatasetHeader header = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var progress = new StageProgress(ctx);
                header = DatasetPreparer.Prepare(input, output, options, progress);
                progress.Complete();
            });
        double wall = (DateTime.UtcNow - started).TotalSeconds;
        Print(header, output, wall);
        return CommandRunner.ExitOk;
    }

    private static void Print(DatasetHeader h, string output, double wall)
    {
        var ingest = h.Ingest;
        if (ingest.BadRows > 0)
        {
            Console.Error.WriteLine($"warning: skipped {ingest.BadRows} bad rows of {ingest.RowsRead}; first:");
            foreach (string example in ingest.BadRowExamples)
            {
                Console.Error.WriteLine($"  {example}");
            }
        }
        var table = new Table().AddColumns("split", "users", "items", "events", "sessions");
        table.Title = new TableTitle($"{Markup.Escape(h.Name)}: {h.Split} split -> {Markup.Escape(output)}");
        table.AddRow(Row("all", h.Counts));
        foreach (var (split, counts) in h.SplitCounts)
        {
            if (counts.Events > 0)
            {
                table.AddRow(Row(split, counts));
            }
        }
        AnsiConsole.Write(table);
        var facts = new Table().HideHeaders().AddColumns("", "");
        facts.AddRow("rows read / bad / kept", $"{ingest.RowsRead:N0} / {ingest.BadRows:N0} / {ingest.RowsKept:N0}");
        facts.AddRow("ingest", $"{ingest.Seconds:F2} s, {ingest.RowsPerSecond:N0} rows/s");
        facts.AddRow("time unit", ingest.TimeUnitDetected ? $"{ingest.TimeUnit} (detected from the first rows)" : $"{ingest.TimeUnit} (--time-unit)");
        if (h.T1Ms is long t1 && h.T2Ms is long t2)
        {
            facts.AddRow("T1 / T2 (ms)", $"{t1} / {t2}");
        }
        if (h.CatalogFromSha256 is not null)
        {
            facts.AddRow("catalogue from", h.CatalogFromSha256);
        }
        if (h.ItemFeatureDim > 0)
        {
            facts.AddRow("item features", $"d = {h.ItemFeatureDim}");
        }
        facts.AddRow("impressions", h.HasImpressions ? "yes" : "no");
        facts.AddRow("wall time", $"{wall:F2} s (preparation {h.PrepareSeconds:F2} s)");
        facts.AddRow("peak memory", $"{h.PreparePeakMemoryBytes / (1024.0 * 1024.0):F0} MiB");
        facts.AddRow("input sha256", h.InputSha256);
        AnsiConsole.Write(facts);
    }

    private static string[] Row(string split, DatasetCounts c) =>
    [
        split,
        c.Users.ToString("N0", CultureInfo.InvariantCulture),
        c.Items.ToString("N0", CultureInfo.InvariantCulture),
        c.Events.ToString("N0", CultureInfo.InvariantCulture),
        c.Sessions.ToString("N0", CultureInfo.InvariantCulture),
    ];
}

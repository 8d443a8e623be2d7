using System.CommandLine;
using System.Globalization;
using HierTcn.Data;
using HierTcn.Data.Evaluation;
using Spectre.Console;

namespace HierTcn.Cli.Commands;

/// <summary>
/// <c>hiertcn quickstart</c>: the main job on the bundled Globo slice, end to end. Each step runs the real
/// subcommand in-process with the arguments it prints, so every step can be rerun by hand.
/// </summary>
internal static class QuickstartCommand
{
    /// <summary>The slice that ships with the repository (datasets/globo-slice).</summary>
    public const string DefaultInput = "datasets/globo-slice/clicks.csv.gz";

    public static Command Create(RootCommand root)
    {
        var input = new Option<string>("--input") { Description = "Events file to run on.", DefaultValueFactory = _ => DefaultInput };
        var epochs = new Option<int>("--epochs") { Description = "Most HierTCN training epochs.", DefaultValueFactory = _ => 3 };
        var output = new Option<string>("--out") { Description = "Working directory for the dataset, runs, reports and bundles.", DefaultValueFactory = _ => "runs/quickstart" };
        var command = new Command("quickstart",
            "Prepare the bundled Globo slice, run the baselines, train HierTCN briefly (with and without the recent-popularity prior), export it, print the metrics side by side.")
        {
            input, output, epochs,
        };
        command.SetAction(parse => CommandRunner.Run(() => Run(root, parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(epochs))));
        return command;
    }

    private static int Run(RootCommand root, string input, string output, int epochs)
    {
        if (epochs < 1)
        {
            throw new UserInputException($"--epochs must be at least 1, got {epochs}");
        }
        if (!File.Exists(Path.Combine("inference", "serve")))
        {
            throw new UserInputException("run the quickstart from the repository root (inference/serve starts the service)");
        }
        if (!File.Exists(input))
        {
            throw new UserInputException($"{input}: not found (run the quickstart from the repository root, or pass --input)");
        }
        string data = Path.Combine(output, "data");
        string reports = Path.Combine(output, "reports");
        string run = Path.Combine(output, "hiertcn");
        string priorRun = Path.Combine(output, "hiertcn-prior");
        string bundles = Path.Combine(output, "bundles");
        Directory.CreateDirectory(reports);

        List<string[]> steps = [["prepare", "--input", input, "--out", data, "--split", "cold"]];
        var reportFiles = new List<(string Label, string File)>();
        foreach (string model in new[] { "pop", "recentpop", "cooc", "sknn" })
        {
            string report = Path.Combine(reports, $"{model}.json");
            reportFiles.Add((model, report));
            steps.Add(["baseline", "--data", data, "--model", model, "--split", "test", "--report", report]);
        }

        // A fresh run and bundle each time: train refuses to overwrite a run without --resume, bundles are immutable.
        foreach (string dir in new[] { run, priorRun, bundles })
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        string epochCount = epochs.ToString(CultureInfo.InvariantCulture);
        steps.Add(["train", "--data", data, "--model", "hiertcn", "--out", run, "--epochs", epochCount]);
        reportFiles.Add(("hiertcn", Path.Combine(run, "report.test.json")));
        // The same model reading recentpop's counts as a prior (served by a service that counts the clicks it applies).
        steps.Add(["train", "--data", data, "--model", "hiertcn", "--recent-pop-prior", "true", "--out", priorRun, "--epochs", epochCount]);
        reportFiles.Add(("hiertcn+prior", Path.Combine(priorRun, "report.test.json")));
        steps.Add(["export", "--run", run, "--data", data, "--out", bundles, "--version", "quickstart-hiertcn"]);

        foreach (string[] step in steps)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]$ ./hiertcn {string.Join(' ', step)}[/]");
            int rc = root.Parse(step).Invoke();
            if (rc != CommandRunner.ExitOk)
            {
                Console.Error.WriteLine($"error: quickstart step '{step[0]}' failed (exit code {rc})");
                return rc;
            }
        }

        Summarise(reportFiles);

        // Serve the exported bundle with the embedded state store and replay held-back test users through gRPC.
        string repoRoot = Directory.GetCurrentDirectory();
        string state = Path.Combine(output, "state");
        if (Directory.Exists(state))
        {
            Directory.Delete(state, recursive: true);
        }
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]$ inference/serve --bundles {bundles} --snapshots {Path.Combine(bundles, "snapshots")} --version quickstart-hiertcn --store {state}[/]");
        using var service = ServiceProcess.Start(repoRoot, bundles, Path.Combine(bundles, "snapshots"), "quickstart-hiertcn", state, TimeSpan.FromMinutes(5));
        string[] replay = ["replay", "--server", service.Address, "--data", data, "--users", "5", "--k", "10"];
        AnsiConsole.MarkupLineInterpolated($"[grey]$ ./hiertcn {string.Join(' ', replay)}[/]");
        return root.Parse(replay).Invoke();
    }

    private static void Summarise(IEnumerable<(string Label, string File)> reportFiles)
    {
        var table = new Table().Title("test split, event-averaged (PROTOCOL.md v1, cold start)");
        foreach (string column in new[] { "model", "R@1", "R@5", "R@10", "R@20", "MRR", "MRP", "events" })
        {
            table.AddColumn(new TableColumn(column).NoWrap());
        }
        foreach (var (label, file) in reportFiles)
        {
            var m = EvaluationReport.ReadJson(file).Metrics.Event;
            table.AddRow(Markup.Escape(label), F(m.Recall1), F(m.Recall5), F(m.Recall10), F(m.Recall20), F(m.Mrr), F(m.Mrp), m.N.ToString("N0"));
        }
        AnsiConsole.Write(table);
    }

    private static string F(double x) => x.ToString("F4");
}

using System.CommandLine;

var root = new RootCommand("hiertcn: HierTCN dynamic recommender: prepare data, baselines, train, export, serve.");
root.Subcommands.Add(HierTcn.Cli.Commands.PrepareCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.GenerateCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.BaselineCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.QuickstartCommand.Create(root));
root.Subcommands.Add(HierTcn.Cli.Commands.TrainCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.EvalCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.FiguresCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.FeatureBaselineCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.ExportCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.SnapshotCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.ReportTableCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.ReplayCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.BackfillCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.AbCommand.Create());
return root.Parse(args).Invoke();

using System.CommandLine;

var root = new RootCommand("hiertcn: HierTCN dynamic recommender: prepare data, baselines, train, export, serve.");
root.Subcommands.Add(HierTcn.Cli.Commands.PrepareCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.GenerateCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.BaselineCommand.Create());
root.Subcommands.Add(HierTcn.Cli.Commands.ReplayCommand.Create());
return root.Parse(args).Invoke();

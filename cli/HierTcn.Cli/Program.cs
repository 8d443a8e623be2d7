using System.CommandLine;

var root = new RootCommand("hiertcn: HierTCN dynamic recommender: prepare data, baselines, train, export, serve.");
return root.Parse(args).Invoke();

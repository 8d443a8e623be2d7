using HierTcn.LoadGen;

return await LoadGenCommands.RunAsync(args);

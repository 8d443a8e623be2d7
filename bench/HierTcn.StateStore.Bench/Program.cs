using HierTcn.StateStore.Bench;

return await StoreBenchmark.RunAsync(args);

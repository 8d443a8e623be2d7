using BenchmarkDotNet.Running;
using HierTcn.Benchmarks;

// dotnet run -c Release --project bench/HierTcn.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/HierTcn.Benchmarks -- alloc [--types]   (bytes per Recommend, counted)
if (args.Length > 0 && args[0] == "alloc")
{
    return await RecommendAllocations.RunAsync(args).ConfigureAwait(false);
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

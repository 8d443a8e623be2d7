using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/HierTcn.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

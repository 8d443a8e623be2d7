namespace HierTcn.Data.Tests;

/// <summary>Tests that read process-wide state (the console, the size of the GC heap) run alone, after the others.</summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;

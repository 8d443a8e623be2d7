using System.Runtime.CompilerServices;

namespace HierTcn.Trainer.Tests;

internal static class TestSetup
{
    /// <summary>Before any test touches libtorch: the OpenMP wait policy and 2 threads.</summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        TorchRuntime.Initialize();
        TorchRuntime.SetThreads(2);
    }
}

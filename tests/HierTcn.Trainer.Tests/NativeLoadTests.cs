using HierTcn.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Tests;

public sealed class NativeLoadTests
{
    [Fact]
    public void Matmul_SmallMatrices_ComputesProduct()
    {
        TorchRuntime.SetThreads(2);
        using var a = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        using var b = tensor(new float[] { 1, 0, 0, 1, 1, 1 }, [3, 2]);
        using var c = a.matmul(b);
        Assert.Equal(new float[] { 4, 5, 10, 11 }, c.data<float>().ToArray());
    }

    [Fact]
    public void NativeLibrary_BuildOutputCopy_LoadsWithoutTouchingNuGetCache()
    {
        string dir = AppContext.BaseDirectory;
        string built = new[] { Path.Combine(dir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"), Path.Combine(dir, "libLibTorchSharp.so") }
            .First(File.Exists);
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string cached = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        bool hostHasVersion = HostLibStdCxxHas("GLIBCXX_3.4.32");
        ushort? builtFlags = ElfVersionNeed.Flags(built, "GLIBCXX_3.4.32");
        Assert.NotNull(builtFlags);
        // Patched (weak) exactly when the host lacks the version; the shipped copy in the cache is never modified.
        Assert.Equal(!hostHasVersion, (builtFlags.Value & 0x2) != 0);
        if (File.Exists(cached))
        {
            Assert.Equal(0, ElfVersionNeed.Flags(cached, "GLIBCXX_3.4.32")!.Value & 0x2);
        }
        using var x = ones(3);
        Assert.Equal(3f, x.sum().item<float>());
    }

    private static bool HostLibStdCxxHas(string version)
    {
        string lib = File.ReadLines("/proc/self/maps").Select(l => l.IndexOf('/') is int i and >= 0 ? l[i..].Trim() : "")
            .First(p => p.Contains("/libstdc++.so", StringComparison.Ordinal));
        return File.ReadAllBytes(lib).AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(version + "\0")) >= 0;
    }
}

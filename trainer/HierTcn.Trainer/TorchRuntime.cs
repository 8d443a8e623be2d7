using System.Runtime.InteropServices;
using TorchSharp;

namespace HierTcn.Trainer;

/// <summary>Process-wide libtorch settings: thread counts, seeds, device selection.</summary>
public static partial class TorchRuntime
{
    private static int s_interopSet;

    // libtorch's OpenMP threads spin while they wait for each other. On a machine whose cores are shared with other
    // jobs a spinning thread holds a core the thread it waits for needs: measured on 2 shared cores, HierTCN trained
    // at 93 events/s with spinning and 1,978 events/s without. libgomp reads the policy from the process environment
    // when it loads, which is at the first tensor operation, after this runs; a value the user set is kept.
    static TorchRuntime()
    {
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
        {
            _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
        }
    }

    // .NET's Environment.SetEnvironmentVariable does not reach the native environment on Unix.
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>Runs the static set-up (the OpenMP wait policy) before libtorch loads; call first in a process.</summary>
    public static void Initialize()
    {
    }

    /// <summary>Sets libtorch's intra-op and inter-op thread counts. Call before the first tensor operation: the
    /// inter-op count can only be set once per process, so a later call only changes the intra-op count.</summary>
    public static void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        torch.set_num_threads(threads);
        // libtorch aborts the process (not an exception) when the inter-op pool size is set twice or after parallel
        // work started, so only the first call in the process sets it.
        if (Interlocked.Exchange(ref s_interopSet, 1) == 0)
        {
            torch.set_num_interop_threads(threads);
        }
    }

    /// <summary>Seeds libtorch's generators (CPU and, when present, CUDA).</summary>
    public static void Seed(long seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available())
        {
            torch.cuda.manual_seed_all(seed);
        }
    }

    /// <summary>Parses "cpu" or "cuda" (or "cuda:N") and checks that the device exists.</summary>
    public static torch.Device ParseDevice(string name)
    {
        if (name == "cpu")
        {
            return torch.CPU;
        }
        if (name.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
            {
                throw new Data.UserInputException($"--device {name}: CUDA is not available on this machine (libtorch found no GPU).");
            }
            return new torch.Device(name);
        }
        throw new Data.UserInputException($"--device {name}: expected cpu or cuda.");
    }
}

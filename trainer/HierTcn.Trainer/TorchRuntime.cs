using TorchSharp;

namespace HierTcn.Trainer;

/// <summary>Process-wide libtorch settings: thread counts, seeds, device selection.</summary>
public static class TorchRuntime
{
    private static int s_interopSet;

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

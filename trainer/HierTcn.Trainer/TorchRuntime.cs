using System.Runtime.InteropServices;
using TorchSharp;

namespace HierTcn.Trainer;

/// <summary>Process-wide libtorch settings: thread counts, seeds, device selection.</summary>
public static partial class TorchRuntime
{
    private static int s_interopSet;

    // libtorch's OpenMP threads can spin while they wait for each other (OMP_WAIT_POLICY=ACTIVE) or sleep (PASSIVE).
    // Measured on the 2-core machine (bench/RESULTS.md, issue 18): on a quiet machine spinning trains HierTCN 1.7x
    // faster (2,476 vs 1,421 events/s); on a busy one a spinning thread holds a core the thread it waits for needs,
    // and spinning is 10x slower (113 vs 1,173 events/s). So the policy follows the machine: HIERTCN_OMP_WAIT=auto
    // (the default) samples how busy the cores are when the process starts and spins only when they are idle;
    // active or passive force one. libgomp reads the policy from the process environment when it loads, which is at
    // the first tensor operation, after this runs; OMP_WAIT_POLICY or GOMP_SPINCOUNT set by the user are kept.
    static TorchRuntime()
    {
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null
            && Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is null)
        {
            string given = (Environment.GetEnvironmentVariable("HIERTCN_OMP_WAIT") ?? "auto").Trim().ToLowerInvariant();
            string choice = given is "auto" or "active" or "passive" ? given : "auto";
            double? busy = choice == "auto" ? OtherLoad() : null;
            WaitPolicy = ChooseWaitPolicy(choice, busy, Environment.ProcessorCount);
            _ = SetEnv("OMP_WAIT_POLICY", WaitPolicy, 0);
            WaitPolicyReason = choice == "auto"
                ? $"auto: {(busy is { } b ? $"{b:F2} of {Environment.ProcessorCount} cores busy at start" : "load unknown")}"
                : $"HIERTCN_OMP_WAIT={choice}";
            if (given != choice)
            {
                WaitPolicyReason += $" (HIERTCN_OMP_WAIT={given} is not auto, active or passive)";
            }
        }
        else
        {
            WaitPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "libgomp default";
            WaitPolicyReason = "set in the environment";
        }
    }

    /// <summary>The OpenMP wait policy this process runs with ("ACTIVE", "PASSIVE", or what the environment set).</summary>
    public static string WaitPolicy { get; }

    /// <summary>Why <see cref="WaitPolicy"/> was chosen, for logs.</summary>
    public static string WaitPolicyReason { get; }

    /// <summary>The policy for <paramref name="choice"/> ("auto", "active", "passive"): auto spins only when other
    /// processes keep less than a quarter of a core busy (<paramref name="busyCores"/>; unknown counts as busy).</summary>
    public static string ChooseWaitPolicy(string choice, double? busyCores, int cores) => choice switch
    {
        "active" => "ACTIVE",
        "passive" => "PASSIVE",
        "auto" => busyCores is { } b && b < 0.25 && cores >= 2 ? "ACTIVE" : "PASSIVE",
        _ => throw new Data.UserInputException($"HIERTCN_OMP_WAIT={choice}: expected auto, active or passive."),
    };

    /// <summary>Cores kept busy by everything on the machine over 300 ms (from /proc/stat), or null when unreadable.</summary>
    private static double? OtherLoad()
    {
        static (long Busy, long Total)? Read()
        {
            try
            {
                string? cpu = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
                if (cpu is null)
                {
                    return null;
                }
                long[] v = [.. cpu.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse)];
                long idle = v[3] + (v.Length > 4 ? v[4] : 0);
                long total = v.Take(8).Sum();
                return (total - idle, total);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return null;
            }
        }
        var a = Read();
        Thread.Sleep(300);
        var b = Read();
        if (a is null || b is null || b.Value.Total <= a.Value.Total)
        {
            return null;
        }
        return (double)(b.Value.Busy - a.Value.Busy) / (b.Value.Total - a.Value.Total) * Environment.ProcessorCount;
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
        SetIntraOpThreads(threads);
        // libtorch aborts the process (not an exception) when the inter-op pool size is set twice or after parallel
        // work started, so only the first call in the process sets it.
        if (Interlocked.Exchange(ref s_interopSet, 1) == 0)
        {
            torch.set_num_interop_threads(threads);
        }
    }

    /// <summary>libtorch's intra-op threads only (the inter-op pool is set once, by <see cref="SetThreads"/>).</summary>
    public static void SetIntraOpThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        torch.set_num_threads(threads);
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

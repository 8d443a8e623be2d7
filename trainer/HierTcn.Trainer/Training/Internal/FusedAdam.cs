using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Training.Internal;

/// <summary>
/// TorchSharp's Adam (its state, options, checkpoint format and update rule: m = b1 m + (1-b1) g,
/// v = b2 v + (1-b2) g^2, p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)) with the update of each float32 CPU
/// parameter done in one pass over its memory. The base class runs eight tensor operations per parameter, each a
/// native call and a pass over the parameter, three of them allocating: at the queue generator's 8,400 small steps an
/// epoch that was a quarter of the training step (bench/RESULTS.md, issue 18). Parameters on another device, of
/// another type or not contiguous, and the options this pass does not implement (weight decay, AMSGrad, maximize),
/// go to the base class.
/// </summary>
internal sealed partial class FusedAdam : Adam
{
    /// <summary>Floats one thread updates at a time when <see cref="Parallelism"/> is above 1.</summary>
    internal const int Chunk = 65_536;

    public FusedAdam(IEnumerable<Parameter> parameters, double lr) : base(parameters, lr) { }

    /// <summary>Threads the one-pass updates are spread over, in chunks of <see cref="Chunk"/> floats (default 1: the
    /// calling thread). The trainer sets it when libtorch runs one thread per share of a batch, so the step that
    /// follows does not leave a core idle; with libtorch's own pool spinning beside it, it was slower.</summary>
    internal int Parallelism { get; set; } = 1;

    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (closure is not null || !_parameter_groups.All(Fusable))
        {
            return base.step(closure);
        }
        var work = new List<(Tensor Param, Tensor Grad, Tensor ExpAvg, Tensor ExpAvgSq, float Beta1, float Beta2, float SqrtCorrection2, float Eps, float StepSize)>();
        foreach (var group in _parameter_groups)
        {
            var options = (Options)group.Options;
            double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, eps = options.eps!.Value, lr = options.LearningRate!.Value;
            foreach (var param in group.Parameters)
            {
                Tensor? grad = param.grad;
                if (grad is null)
                {
                    continue;
                }
                var state = (State)_state[param.Handle];
                state.step += 1;
                double correction1 = 1 - Math.Pow(beta1, state.step);
                double correction2 = 1 - Math.Pow(beta2, state.step);
                work.Add((param, grad, state.exp_avg, state.exp_avg_sq, (float)beta1, (float)beta2, (float)Math.Sqrt(correction2),
                    (float)eps, (float)(lr / correction1)));
            }
        }
        if (Parallelism <= 1)
        {
            foreach (var w in work)
            {
                Update(w.Param, w.Grad, w.ExpAvg, w.ExpAvgSq, w.Beta1, w.Beta2, w.SqrtCorrection2, w.Eps, w.StepSize, 0, w.Param.numel());
            }
            return null!;
        }
        var chunks = new List<(int Work, long From, long Count)>();
        for (int i = 0; i < work.Count; i++)
        {
            long n = work[i].Param.numel();
            for (long from = 0; from < n; from += Chunk)
            {
                chunks.Add((i, from, Math.Min(Chunk, n - from)));
            }
        }
        Parallel.For(0, chunks.Count, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, c =>
        {
            var (i, from, count) = chunks[c];
            var w = work[i];
            Update(w.Param, w.Grad, w.ExpAvg, w.ExpAvgSq, w.Beta1, w.Beta2, w.SqrtCorrection2, w.Eps, w.StepSize, from, count);
        });
        return null!;
    }

    private bool Fusable(TorchSharp.Modules.ParamGroup group)
    {
        var options = (Options)group.Options;
        return options.weight_decay == 0 && options.amsgrad != true && options.maximize != true && group.Parameters.All(p =>
        {
            Tensor? g = p.grad;
            var state = (State)_state[p.Handle];
            return p.device_type == DeviceType.CPU && p.dtype == ScalarType.Float32 && p.is_contiguous()
                && (g is null || (g.dtype == ScalarType.Float32 && g.is_contiguous() && g.numel() == p.numel()))
                && state.exp_avg.is_contiguous() && state.exp_avg_sq.is_contiguous();
        });
    }

    /// <summary>One pass: the same float arithmetic as the base class's sequence, in its order.</summary>
    /// <remarks>Elements [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>) only.</remarks>
    internal static unsafe void Update(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, float beta1, float beta2,
        float sqrtCorrection2, float eps, float stepSize, long from, long count)
    {
        long n = count;
        float* p = (float*)Data(param) + from;
        float* g = (float*)Data(grad) + from;
        float* m = (float*)Data(expAvg) + from;
        float* v = (float*)Data(expAvgSq) + from;
        float a1 = 1 - beta1, a2 = 1 - beta2;
        {
            long i = 0;
            long end = n;
            int width = Vector<float>.Count;
            var vb1 = new Vector<float>(beta1);
            var vb2 = new Vector<float>(beta2);
            var va1 = new Vector<float>(a1);
            var va2 = new Vector<float>(a2);
            var vc2 = new Vector<float>(sqrtCorrection2);
            var veps = new Vector<float>(eps);
            var vstep = new Vector<float>(stepSize);
            for (; i + width <= end; i += width)
            {
                var gi = *(Vector<float>*)(g + i);
                var mi = *(Vector<float>*)(m + i) * vb1 + gi * va1;
                var vi = *(Vector<float>*)(v + i) * vb2 + gi * gi * va2;
                *(Vector<float>*)(m + i) = mi;
                *(Vector<float>*)(v + i) = vi;
                var denom = Vector.SquareRoot(vi) / vc2 + veps;
                *(Vector<float>*)(p + i) = *(Vector<float>*)(p + i) - vstep * (mi / denom);
            }
            for (; i < end; i++)
            {
                float gi = g[i];
                float mi = m[i] * beta1 + gi * a1;
                float vi = v[i] * beta2 + gi * gi * a2;
                m[i] = mi;
                v[i] = vi;
                p[i] -= stepSize * (mi / (MathF.Sqrt(vi) / sqrtCorrection2 + eps));
            }
        }
    }

    /// <summary>The first element of a CPU tensor's storage (the native call TorchSharp's own accessors make).</summary>
    private static IntPtr Data(Tensor t) => THSTensor_data(t.Handle);

    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr handle);
}

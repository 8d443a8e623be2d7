using TorchSharp;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models.Internal;

/// <summary>
/// Tensor arithmetic with its Scalar held alive for the native call. TorchSharp's <c>a + b</c> and
/// <c>a.add_(b)</c> pass a temporary Scalar alpha = 1 whose only reference ends when its handle is read, so a
/// garbage collection during the call can finalize it while libtorch reads it: the likely cause of the trainer's rare
/// "c10::Scalar::toFloat" crashes, in the loss's add and the GRU cell's adds, which came more often under more
/// allocation (after the adds were mended, the next such crash came in the loss's scaling by a double, an implicit
/// Scalar as well). Here the Scalar is disposed only after the call returns.
/// </summary>
internal static class Arith
{
    /// <summary>a + b.</summary>
    public static Tensor Add(Tensor a, Tensor b) => With(1.0, one => a.add(b, one));

    /// <summary>a - b.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => With(-1.0, minusOne => a.add(b, minusOne));

    /// <summary>a * k.</summary>
    public static Tensor Mul(Tensor a, double k) => With(k, scalar => a.mul(scalar));

    /// <summary>a * k in place; returns a.</summary>
    public static Tensor MulInPlace(Tensor a, double k) => With(k, scalar => a.mul_(scalar));

    /// <summary>a / k.</summary>
    public static Tensor Div(Tensor a, double k) => With(k, scalar => a.div(scalar));

    /// <summary>a += b in place; returns a.</summary>
    public static Tensor AddInPlace(Tensor a, Tensor b) => With(1.0, one => a.add_(b, one));

    /// <summary>a + k b in place; returns a.</summary>
    public static Tensor AddScaledInPlace(Tensor a, Tensor b, double k) => With(k, scalar => a.add_(b, scalar));

    /// <summary>a &gt; k, elementwise (the comparison's Scalar held alive: a crash in <c>gt_Scalar</c>, "Unknown scalar
    /// type", came from <c>pendingLengths &gt; 0</c>).</summary>
    public static Tensor Greater(Tensor a, long k) => With(k, scalar => a.gt(scalar));

    /// <summary>a - k, elementwise.</summary>
    public static Tensor Minus(Tensor a, long k) => With(k, scalar => a.sub(scalar));

    /// <summary>max(a, k), elementwise (a crash in <c>clamp_min</c>, "Expected false to be true", came from the session
    /// mean's <c>lengths.clamp_min(1)</c>). k is an integer so that an integer tensor stays one.</summary>
    public static Tensor ClampMin(Tensor a, long k) => With(k, scalar => a.clamp_min(scalar));

    /// <summary>a + k, elementwise.</summary>
    public static Tensor Plus(Tensor a, double k) => With(k, scalar => With(1.0, one => a.add(scalar, one)));

    /// <summary>a filled with k in place; returns a.</summary>
    public static Tensor FillInPlace(Tensor a, double k) => With(k, scalar => a.fill_(scalar));

    /// <summary>a with k where <paramref name="mask"/> is true.</summary>
    public static Tensor MaskedFill(Tensor a, Tensor mask, double k) => With(k, scalar => a.masked_fill(mask, scalar));

    /// <summary>Runs <paramref name="call"/> with k as a Scalar, disposed only after the call returns.</summary>
    private static Tensor With(double k, Func<Scalar, Tensor> call)
    {
        using var scalar = k.ToScalar();
        return call(scalar);
    }

    /// <summary>As the double overload, with an integer Scalar.</summary>
    private static Tensor With(long k, Func<Scalar, Tensor> call)
    {
        using var scalar = k.ToScalar();
        return call(scalar);
    }
}

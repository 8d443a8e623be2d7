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
    public static Tensor Add(Tensor a, Tensor b)
    {
        using var one = 1.0.ToScalar();
        return a.add(b, one);
    }

    /// <summary>a - b.</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        using var minusOne = (-1.0).ToScalar();
        return a.add(b, minusOne);
    }

    /// <summary>a * k.</summary>
    public static Tensor Mul(Tensor a, double k)
    {
        using var scalar = k.ToScalar();
        return a.mul(scalar);
    }

    /// <summary>a * k in place; returns a.</summary>
    public static Tensor MulInPlace(Tensor a, double k)
    {
        using var scalar = k.ToScalar();
        return a.mul_(scalar);
    }

    /// <summary>a / k.</summary>
    public static Tensor Div(Tensor a, double k)
    {
        using var scalar = k.ToScalar();
        return a.div(scalar);
    }

    /// <summary>a += b in place; returns a.</summary>
    public static Tensor AddInPlace(Tensor a, Tensor b)
    {
        using var one = 1.0.ToScalar();
        return a.add_(b, one);
    }

    /// <summary>a &gt; k, elementwise (the comparison's Scalar held alive: a crash in <c>gt_Scalar</c>, "Unknown scalar
    /// type", came from <c>pendingLengths &gt; 0</c>).</summary>
    public static Tensor Greater(Tensor a, long k)
    {
        using var scalar = k.ToScalar();
        return a.gt(scalar);
    }

    /// <summary>a - k, elementwise.</summary>
    public static Tensor Minus(Tensor a, long k)
    {
        using var scalar = k.ToScalar();
        return a.sub(scalar);
    }

    /// <summary>max(a, k), elementwise (a crash in <c>clamp_min</c>, "Expected false to be true", came from the session
    /// mean's <c>lengths.clamp_min(1)</c>).</summary>
    public static Tensor ClampMin(Tensor a, long k)
    {
        using var scalar = k.ToScalar();
        return a.clamp_min(scalar);
    }

    /// <summary>a + k, elementwise.</summary>
    public static Tensor Plus(Tensor a, double k)
    {
        using var scalar = k.ToScalar();
        using var one = 1.0.ToScalar();
        return a.add(scalar, one);
    }

    /// <summary>a filled with k in place; returns a.</summary>
    public static Tensor FillInPlace(Tensor a, double k)
    {
        using var scalar = k.ToScalar();
        return a.fill_(scalar);
    }

    /// <summary>a + k b in place; returns a.</summary>
    public static Tensor AddScaledInPlace(Tensor a, Tensor b, double k)
    {
        using var scalar = k.ToScalar();
        return a.add_(b, scalar);
    }

    /// <summary>a with k where <paramref name="mask"/> is true.</summary>
    public static Tensor MaskedFill(Tensor a, Tensor mask, double k)
    {
        using var scalar = k.ToScalar();
        return a.masked_fill(mask, scalar);
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models.Internal;

/// <summary>One GRU layer with PyTorch's parameter names and gate order (r, z, n). Dropout, when on, acts on the
/// candidate activation n only (paper section 3.5.3), so the recurrent path h -> h' is never masked.</summary>
internal sealed class GruLayer : nn.Module
{
#pragma warning disable IDE1006 // PyTorch names: the fields are the weight names.
    private readonly Parameter weight_ih;
    private readonly Parameter weight_hh;
    private readonly Parameter bias_ih;
    private readonly Parameter bias_hh;
#pragma warning restore IDE1006
    private readonly double _dropout;

    public GruLayer(string name, int input, int hidden, double dropout) : base(name)
    {
        Hidden = hidden;
        _dropout = dropout;
        double bound = 1.0 / Math.Sqrt(hidden);
        weight_ih = new Parameter(empty(3 * hidden, input).uniform_(-bound, bound));
        weight_hh = new Parameter(empty(3 * hidden, hidden).uniform_(-bound, bound));
        bias_ih = new Parameter(empty(3 * hidden).uniform_(-bound, bound));
        bias_hh = new Parameter(empty(3 * hidden).uniform_(-bound, bound));
        RegisterComponents();
    }

    public int Hidden { get; }

    /// <summary>Input projections W_ih x + b_ih for every position at once: [.., in] -> [.., 3H].</summary>
    public Tensor ProjectInput(Tensor x) => nn.functional.linear(x, weight_ih, bias_ih);

    /// <summary>One step given the projected input <paramref name="gi"/> [B, 3H] and the state h [B, H].</summary>
    public Tensor Cell(Tensor gi, Tensor h)
    {
        using var scope = NewDisposeScope();
        Tensor gh = nn.functional.linear(h, weight_hh, bias_hh);
        Tensor[] i = gi.chunk(3, -1);
        Tensor[] g = gh.chunk(3, -1);
        Tensor r = Arith.Add(i[0], g[0]).sigmoid_();
        Tensor z = Arith.Add(i[1], g[1]).sigmoid_();
        Tensor n = Arith.Add(i[2], r * g[2]).tanh_();
        if (training && _dropout > 0)
        {
            n = nn.functional.dropout(n, _dropout, training: true);
        }
        // h' = (1 - z) * n + z * h
        return Arith.Add(n, z * Arith.Sub(h, n)).MoveToOuterDisposeScope();
    }
}

using HierTcn.Exporter;

namespace HierTcn.Exporter.Tests;

/// <summary>A plain C# forward pass of CONTRACT.md's math (loops, no framework), one row at a time: what the
/// ONNX graphs must reproduce.</summary>
internal sealed class Reference(ModelWeights w)
{
    private float[] W(string name) => w[name].Data;

    private int[] ShapeOf(string name) => w[name].Shape;

    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>y = W x + b for W [out, in].</summary>
    public float[] Linear(string prefix, float[] x)
    {
        var weight = W(prefix + ".weight");
        int inDim = x.Length, outDim = weight.Length / inDim;
        var b = w.Contains(prefix + ".bias") ? W(prefix + ".bias") : new float[outDim];
        var y = new float[outDim];
        for (int o = 0; o < outDim; o++)
        {
            double s = b[o];
            for (int i = 0; i < inDim; i++)
            {
                s += weight[o * inDim + i] * x[i];
            }
            y[o] = (float)s;
        }
        return y;
    }

    /// <summary>One PyTorch GRU cell step.</summary>
    public float[] GruCell(string p, float[] x, float[] h)
    {
        int hidden = h.Length;
        var wih = W(p + ".weight_ih");
        var whh = W(p + ".weight_hh");
        var bih = W(p + ".bias_ih");
        var bhh = W(p + ".bias_hh");
        var gi = new double[3 * hidden];
        var gh = new double[3 * hidden];
        for (int j = 0; j < 3 * hidden; j++)
        {
            double a = bih[j], c = bhh[j];
            for (int i = 0; i < x.Length; i++)
            {
                a += wih[j * x.Length + i] * x[i];
            }
            for (int i = 0; i < hidden; i++)
            {
                c += whh[j * hidden + i] * h[i];
            }
            gi[j] = a;
            gh[j] = c;
        }
        var next = new float[hidden];
        for (int j = 0; j < hidden; j++)
        {
            float r = Sigmoid((float)(gi[j] + gh[j]));
            float z = Sigmoid((float)(gi[hidden + j] + gh[hidden + j]));
            float n = MathF.Tanh((float)(gi[2 * hidden + j] + r * gh[2 * hidden + j]));
            next[j] = (1 - z) * n + z * h[j];
        }
        return next;
    }

    /// <summary>A GRU stack step: state [L][H], x -> new state.</summary>
    public float[][] GruStack(string prefix, float[][] state, float[] x)
    {
        var next = new float[state.Length][];
        var input = x;
        for (int k = 0; k < state.Length; k++)
        {
            next[k] = GruCell($"{prefix}.layers.{k}", input, state[k]);
            input = next[k];
        }
        return next;
    }

    /// <summary>The TCN over rows x [T][C_in] -> [T][C].</summary>
    public float[][] Tcn(float[][] x)
    {
        for (int i = 0; w.Contains($"tcn.blocks.{i}.conv1.weight"); i++)
        {
            string p = $"tcn.blocks.{i}";
            int dil = 1 << i;
            var y = Relu(Conv(p + ".conv1", x, dil));
            y = Relu(Conv(p + ".conv2", y, dil));
            var res = w.Contains(p + ".downsample.weight") ? Conv(p + ".downsample", x, 1) : x;
            x = y.Select((row, t) => row.Select((v, c) => MathF.Max(0, v + res[t][c])).ToArray()).ToArray();
        }
        return x;
    }

    private float[][] Conv(string p, float[][] x, int dilation)
    {
        var shape = ShapeOf(p + ".weight");
        int cout = shape[0], cin = shape[1], k = shape[2];
        var weight = W(p + ".weight");
        var bias = W(p + ".bias");
        var y = new float[x.Length][];
        for (int t = 0; t < x.Length; t++)
        {
            y[t] = new float[cout];
            for (int o = 0; o < cout; o++)
            {
                double s = bias[o];
                for (int j = 0; j < k; j++)
                {
                    int src = t - (k - 1 - j) * dilation;
                    if (src < 0)
                    {
                        continue;
                    }
                    for (int c = 0; c < cin; c++)
                    {
                        s += weight[(o * cin + c) * k + j] * x[src][c];
                    }
                }
                y[t][o] = (float)s;
            }
        }
        return y;
    }

    private static float[][] Relu(float[][] x) => x.Select(r => r.Select(v => MathF.Max(0, v)).ToArray()).ToArray();

    /// <summary>HierTCN/flat TCN user embedding from the last of the rows [n][C_in].</summary>
    public float[] TcnEmbed(float[][] rows) => Linear("output", Tcn(rows)[^1]);

    /// <summary>HierGRU user embedding: the low GRU (zero start) over rows [n][d + H].</summary>
    public float[] LowGruEmbed(float[][] rows, int layers, int hidden)
    {
        var state = Enumerable.Range(0, layers).Select(_ => new float[hidden]).ToArray();
        foreach (var row in rows)
        {
            state = GruStack("low_gru", state, row);
        }
        return Linear("output", state[^1]);
    }

    /// <summary>HRNN: the session GRU's top states over rows [n][d] from tanh(session_init(user state)) per layer.</summary>
    public float[][] HrnnSession(float[][] rows, float[][] user)
    {
        var state = user.Select(h => Linear("session_init", h).Select(MathF.Tanh).ToArray()).ToArray();
        foreach (var row in rows)
        {
            state = GruStack("session_gru", state, row);
        }
        return state;
    }
}

using HierTcn.Formats.Onnx;

namespace HierTcn.Exporter.Internal;

/// <summary>The model pieces of CONTRACT.md as ONNX subgraphs. Weights keep their state_dict names as initializer
/// names (transposed copies get a ".T" suffix), so a graph can be traced back to the run it came from.</summary>
internal static class Layers
{
    private const long OnnxInt32 = (long)TensorProto.Types.DataType.Int32;

    /// <summary>y = x W^T + b over the last axis of <paramref name="x"/>.</summary>
    public static string Linear(OnnxGraph g, ModelWeights w, string prefix, string x, int outDim, int inDim)
    {
        var weight = w.Get(prefix + ".weight", outDim, inDim);
        string y = g.Op("MatMul", [x, g.Initializer(prefix + ".weight.T", Transpose(weight.Data, outDim, inDim), inDim, outDim)]);
        return w.Contains(prefix + ".bias") ? g.Op("Add", [y, g.Initializer(prefix + ".bias", w.Get(prefix + ".bias", outDim).Data, outDim)]) : y;
    }

    /// <summary>Layer <paramref name="layer"/> of a state [B, L, H] as [B, H].</summary>
    public static string Layer(OnnxGraph g, string state, int layer)
    {
        string gathered = g.Op("Gather", [state, g.Int64s("layer_index", layer)], OnnxGraph.Int("axis", 1));
        return g.Op("Squeeze", [gathered, g.Int64s("axes", 1)]);
    }

    /// <summary>One step of a GRU stack (PyTorch gate order r, z, n): state [B, L, H], x [B, in] -> the new state
    /// [B, L, H] and its top layer [B, H].</summary>
    public static (string State, string Top) GruStackStep(OnnxGraph g, ModelWeights w, string prefix, string state, string x, int inDim, int layers, int hidden)
    {
        var next = new string[layers];
        string input = x;
        for (int k = 0; k < layers; k++)
        {
            string p = $"{prefix}.layers.{k}";
            string h = Layer(g, state, k);
            string gi = Linear3(g, w, p, "ih", input, k == 0 ? inDim : hidden, hidden);
            string gh = Linear3(g, w, p, "hh", h, hidden, hidden);
            var ig = g.Ops("Split", [gi], 3, OnnxGraph.Int("axis", 1));
            var hg = g.Ops("Split", [gh], 3, OnnxGraph.Int("axis", 1));
            string r = g.Op("Sigmoid", [g.Op("Add", [ig[0], hg[0]])]);
            string z = g.Op("Sigmoid", [g.Op("Add", [ig[1], hg[1]])]);
            string n = g.Op("Tanh", [g.Op("Add", [ig[2], g.Op("Mul", [r, hg[2]])])]);
            // h' = (1 - z) * n + z * h = n + z * (h - n)
            string hNew = g.Op("Add", [n, g.Op("Mul", [z, g.Op("Sub", [h, n])])]);
            next[k] = hNew;
            input = hNew;
        }
        string stacked = g.Op("Concat", [.. next.Select(h => g.Op("Unsqueeze", [h, g.Int64s("axes", 1)]))], OnnxGraph.Int("axis", 1));
        return (stacked, next[^1]);
    }

    /// <summary>A GRU stack over a padded sequence with ONNX's GRU operator (linear_before_reset = 1 is PyTorch's
    /// formulation): x [B, T, in], lengths [B] int64, optional initial states [B, H] per layer -> each layer's state at
    /// its row's last valid step, [B, H].</summary>
    public static string[] GruStackSequence(OnnxGraph g, ModelWeights w, string prefix, string x, string lengths, int inDim, int layers, int hidden,
        string[]? initial)
    {
        string seq = g.Op("Transpose", [x], OnnxGraph.Ints("perm", 1, 0, 2)); // [T, B, in]
        string seqLens = g.Op("Cast", [lengths], OnnxGraph.Int("to", OnnxInt32));
        var finals = new string[layers];
        for (int k = 0; k < layers; k++)
        {
            string p = $"{prefix}.layers.{k}";
            int inK = k == 0 ? inDim : hidden;
            var wih = w.Get(p + ".weight_ih", 3 * hidden, inK).Data;
            var whh = w.Get(p + ".weight_hh", 3 * hidden, hidden).Data;
            var bih = w.Get(p + ".bias_ih", 3 * hidden).Data;
            var bhh = w.Get(p + ".bias_hh", 3 * hidden).Data;
            string wName = g.Initializer(p + ".weight_ih.zrn", ReorderGates(wih, hidden, inK), 1, 3 * hidden, inK);
            string rName = g.Initializer(p + ".weight_hh.zrn", ReorderGates(whh, hidden, hidden), 1, 3 * hidden, hidden);
            string bName = g.Initializer(p + ".bias.zrn", [.. ReorderGates(bih, hidden, 1), .. ReorderGates(bhh, hidden, 1)], 1, 6 * hidden);
            string init = initial is null ? "" : g.Op("Unsqueeze", [initial[k], g.Int64s("axes", 0)]);
            var outputs = g.Ops("GRU", [seq, wName, rName, bName, seqLens, init], 2,
                OnnxGraph.Int("hidden_size", hidden), OnnxGraph.Int("linear_before_reset", 1));
            finals[k] = g.Op("Squeeze", [outputs[1], g.Int64s("axes", 0)]);
            seq = g.Op("Squeeze", [outputs[0], g.Int64s("axes", 1)]);
        }
        return finals;
    }

    /// <summary>The causal dilated TCN of CONTRACT.md: x [B, C_in, T] -> [B, C, T]; block i has dilation 2^i and
    /// pads (K-1) * dilation zeros on the left of both convolutions.</summary>
    public static string Tcn(OnnxGraph g, ModelWeights w, string x, TcnShape shape)
    {
        int cin = shape.InputChannels;
        for (int i = 0; i < shape.Blocks; i++)
        {
            string p = $"tcn.blocks.{i}";
            if (w.Contains(p + ".bn1.weight") || w.Contains(p + ".bn1.running_mean"))
            {
                throw new InvalidDataException($"{p} uses masked batch normalization, which the exporter does not support; train without it to export");
            }
            if (w.Contains(p + ".ln1.weight"))
            {
                throw new InvalidDataException($"{p} uses layer normalization, which the exporter does not support; train without it to export");
            }
            long dilation = 1L << i;
            string y = Activate(g, w, p, 1, CausalInput(g, x, shape.Kernel, dilation), shape.Channels, cin, shape.Kernel, dilation);
            y = Activate(g, w, p, 2, CausalInput(g, y, shape.Kernel, dilation), shape.Channels, shape.Channels, shape.Kernel, dilation);
            string residual = w.Contains(p + ".downsample.weight")
                ? CausalConv(g, w, p + ".downsample", x, shape.Channels, cin, 1, 1)
                : cin == shape.Channels ? x : throw new InvalidDataException($"{p}.downsample.weight is missing: block input has {cin} channels, output {shape.Channels}");
            x = g.Op("Relu", [g.Op("Add", [y, residual])]);
            cin = shape.Channels;
        }
        return x;
    }

    /// <summary>One row of <see cref="Tcn"/>: x [B, C_in, 1] and the flat buffers [B, S]
    /// (<see cref="HierTcn.Formats.Bundles.BundleSignatures.TcnBufferSize"/>'s layout: per block, conv1's then conv2's last (K-1) x dilation
    /// inputs, each [C, (K-1) x dilation] channel-major, oldest first) -> the top block's output [B, C] and the
    /// advanced buffers [B, S]. Each convolution runs on its buffer followed by the new input, (K-1) x dilation + 1
    /// columns, which gives exactly one output column: the full graph's value at that row.</summary>
    public static (string Output, string NextBuffers) TcnRow(OnnxGraph g, ModelWeights w, string x, string buffers, TcnShape shape)
    {
        int cin = shape.InputChannels;
        long offset = 0;
        var next = new List<string>();
        for (int i = 0; i < shape.Blocks; i++)
        {
            string p = $"tcn.blocks.{i}";
            long dilation = 1L << i;
            string y = Activate(g, w, p, 1, BufferedWindow(g, x, buffers, ref offset, next, cin, shape.Kernel, dilation), shape.Channels, cin, shape.Kernel, dilation);
            y = Activate(g, w, p, 2, BufferedWindow(g, y, buffers, ref offset, next, shape.Channels, shape.Kernel, dilation), shape.Channels, shape.Channels, shape.Kernel, dilation);
            string residual = w.Contains(p + ".downsample.weight")
                ? CausalConv(g, w, p + ".downsample", x, shape.Channels, cin, 1, 1)
                : cin == shape.Channels ? x : throw new InvalidDataException($"{p}.downsample.weight is missing: block input has {cin} channels, output {shape.Channels}");
            x = g.Op("Relu", [g.Op("Add", [y, residual])]);
            cin = shape.Channels;
        }
        string output = g.Op("Squeeze", [x, g.Int64s("axes", 2)]);
        string nextBuffers = next.Count == 1 ? next[0] : g.Op("Concat", [.. next], OnnxGraph.Int("axis", 1));
        return (output, nextBuffers);
    }

    /// <summary>Convolution <paramref name="half"/> (1 or 2) of block <paramref name="block"/> over its padded or
    /// buffered input, activated: relu(conv), or conv * sigmoid(gate) when the block has <c>gate1</c>/<c>gate2</c>
    /// weights (a gated TCN; the gate reads the same input window as the convolution).</summary>
    private static string Activate(OnnxGraph g, ModelWeights w, string block, int half, string window, int cout, int cin, int kernel, long dilation)
    {
        string conv = ConvOn(g, w, $"{block}.conv{half}", window, cout, cin, kernel, dilation);
        string gate = $"{block}.gate{half}";
        return w.Contains(gate + ".weight")
            ? g.Op("Mul", [conv, g.Op("Sigmoid", [ConvOn(g, w, gate, window, cout, cin, kernel, dilation)])])
            : g.Op("Relu", [conv]);
    }

    // A causal convolution's window at the new column: its (K-1) x dilation buffered inputs (sliced from the flat
    // buffers at offset), then x [B, C_in, 1]; the window without its oldest column is the next buffer. A convolution
    // over the window gives exactly one output column.
    private static string BufferedWindow(OnnxGraph g, string x, string buffers, ref long offset, List<string> next, int cin, int kernel, long dilation)
    {
        long history = (kernel - 1) * dilation;
        if (history == 0)
        {
            return x;
        }
        long size = history * cin;
        string flat = g.Op("Slice", [buffers, g.Int64s("starts", offset), g.Int64s("ends", offset + size), g.Int64s("axes", 1)]);
        offset += size;
        string past = g.Op("Reshape", [flat, g.Int64s("shape", 0, cin, history)]);
        string window = g.Op("Concat", [past, x], OnnxGraph.Int("axis", 2));
        string advanced = g.Op("Slice", [window, g.Int64s("starts", 1), g.Int64s("ends", history + 1), g.Int64s("axes", 2)]);
        next.Add(g.Op("Reshape", [advanced, g.Int64s("shape", 0, size)]));
        return window;
    }

    /// <summary>seq [B, C, T] at each row's last valid step (lengths - 1) -> [B, C].</summary>
    public static string LastValid(OnnxGraph g, string seq, string lengths, int channels)
    {
        string last = g.Op("Sub", [lengths, g.Int64s("one", 1)]);
        string index = g.Op("Reshape", [last, g.Int64s("shape", -1, 1, 1)]);
        index = g.Op("Expand", [index, g.Int64s("shape", 1, channels, 1)]);
        string gathered = g.Op("GatherElements", [seq, index], OnnxGraph.Int("axis", 2));
        return g.Op("Squeeze", [gathered, g.Int64s("axes", 2)]);
    }

    /// <summary>x [B, T, n] -> [B, T, n]: row t the mean of rows 0..t (the trainer's cumsum / (t + 1)).</summary>
    public static string RunningMean(OnnxGraph g, string x)
    {
        string sum = g.Op("CumSum", [x, g.Int64Scalar("axis", 1)]);
        string steps = g.Op("Cast", [g.Op("Gather", [g.Op("Shape", [x]), g.Int64Scalar("time", 1)])], OnnxGraph.Int("to", 1));
        string one = g.Initializer("mean_one", [1f]);
        string counts = g.Op("Range", [one, g.Op("Add", [steps, one]), one]);
        return g.Op("Div", [sum, g.Op("Reshape", [counts, g.Int64s("count_shape", 1, -1, 1)])]);
    }

    /// <summary>v [B, n] repeated over the time axis of like [B, T, *] -> [B, T, n].</summary>
    public static string RepeatOverTime(OnnxGraph g, string v, string like, int n)
    {
        string bt = g.Op("Slice", [g.Op("Shape", [like]), g.Int64s("starts", 0), g.Int64s("ends", 2)]);
        string shape = g.Op("Concat", [bt, g.Int64s("n", n)], OnnxGraph.Int("axis", 0));
        return g.Op("Expand", [g.Op("Unsqueeze", [v, g.Int64s("axes", 1)]), shape]);
    }

    private static string CausalConv(OnnxGraph g, ModelWeights w, string prefix, string x, int cout, int cin, int kernel, long dilation) =>
        ConvOn(g, w, prefix, CausalInput(g, x, kernel, dilation), cout, cin, kernel, dilation);

    /// <summary>x [B, C, T] with (K-1) x dilation zeros on the left.</summary>
    private static string CausalInput(OnnxGraph g, string x, int kernel, long dilation)
    {
        long pad = (kernel - 1) * dilation;
        return pad == 0 ? x : g.Op("Pad", [x, g.Int64s("pads", 0, 0, pad, 0, 0, 0)]);
    }

    /// <summary>The unpadded convolution of <paramref name="prefix"/>'s weights over <paramref name="input"/>.</summary>
    private static string ConvOn(OnnxGraph g, ModelWeights w, string prefix, string input, int cout, int cin, int kernel, long dilation)
    {
        string weight = g.Initializer(prefix + ".weight", w.Get(prefix + ".weight", cout, cin, kernel).Data, cout, cin, kernel);
        string bias = g.Initializer(prefix + ".bias", w.Get(prefix + ".bias", cout).Data, cout);
        return g.Op("Conv", [input, weight, bias], OnnxGraph.Ints("kernel_shape", kernel), OnnxGraph.Ints("dilations", dilation));
    }

    private static string Linear3(OnnxGraph g, ModelWeights w, string prefix, string kind, string x, int inDim, int hidden)
    {
        var weight = w.Get($"{prefix}.weight_{kind}", 3 * hidden, inDim);
        var bias = w.Get($"{prefix}.bias_{kind}", 3 * hidden);
        string y = g.Op("MatMul", [x, g.Initializer($"{prefix}.weight_{kind}.T", Transpose(weight.Data, 3 * hidden, inDim), inDim, 3 * hidden)]);
        return g.Op("Add", [y, g.Initializer($"{prefix}.bias_{kind}", bias.Data, 3 * hidden)]);
    }

    /// <summary>[rows, cols] -> [cols, rows].</summary>
    internal static float[] Transpose(float[] m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    /// <summary>PyTorch's gate blocks (r, z, n) of a [3H, cols] matrix in ONNX's order (z, r, n).</summary>
    internal static float[] ReorderGates(float[] m, int hidden, int cols)
    {
        int block = hidden * cols;
        var o = new float[m.Length];
        Array.Copy(m, block, o, 0, block);
        Array.Copy(m, 0, o, block, block);
        Array.Copy(m, 2 * block, o, 2 * block, block);
        return o;
    }
}

using System.Runtime.InteropServices;
using Google.Protobuf;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Onnx;

namespace HierTcn.Exporter.Internal;

/// <summary>A small ONNX graph builder: named inputs and outputs, float32 initializers, int64 constants, and nodes
/// whose outputs get unique names. Produces an IR-8 model that imports the default domain at <see cref="Opset"/>.</summary>
internal sealed class OnnxGraph
{
    /// <summary>Opset 17 and IR 8: the newest pair that Debian 12's onnx package (1.12) checks.</summary>
    public const int Opset = 17;
    public const int IrVersion = 8;

    private readonly GraphProto _graph;
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    public OnnxGraph(string name) => _graph = new GraphProto { Name = name };

    public void Input(TensorSpec spec) => _graph.Input.Add(ValueInfo(spec));

    /// <summary>Makes <paramref name="value"/> a graph output named by <paramref name="spec"/>.</summary>
    public void Output(string value, TensorSpec spec)
    {
        Node("Identity", [value], [spec.Name]);
        _graph.Output.Add(ValueInfo(spec));
    }

    public string Initializer(string name, float[] data, params long[] dims)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Int64s(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A 0-D int64 initializer (an axis or index input that must be a scalar).</summary>
    public string Int64Scalar(string name, long value)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(new[] { value }.AsSpan()));
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a node with one output and returns that output's name.</summary>
    public string Op(string opType, string[] inputs, params AttributeProto[] attributes) =>
        Node(opType, inputs, [Unique(opType.ToLowerInvariant())], attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs (empty names skip optional outputs).</summary>
    public string[] Ops(string opType, string[] inputs, int outputs, params AttributeProto[] attributes) =>
        Node(opType, inputs, [.. Enumerable.Range(0, outputs).Select(_ => Unique(opType.ToLowerInvariant()))], attributes);

    public string[] Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Unique("n_" + opType) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return outputs;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public byte[] ToBytes(string docString)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "hiertcn-exporter",
            ProducerVersion = "1",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
    }

    private string Unique(string stem)
    {
        int n = _counters.TryGetValue(stem, out var c) ? c : 0;
        _counters[stem] = n + 1;
        return n == 0 ? stem : $"{stem}_{n}";
    }

    private static ValueInfoProto ValueInfo(TensorSpec spec)
    {
        var shape = new TensorShapeProto();
        foreach (var d in spec.Shape)
        {
            shape.Dim.Add(d.IsDynamic ? new TensorShapeProto.Types.Dimension { DimParam = d.Param } : new TensorShapeProto.Types.Dimension { DimValue = d.Value });
        }
        int elem = spec.ElementType == TensorSpec.Int64 ? (int)TensorProto.Types.DataType.Int64 : (int)TensorProto.Types.DataType.Float;
        return new ValueInfoProto { Name = spec.Name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elem, Shape = shape } } };
    }
}

using Google.Protobuf;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Onnx;

namespace HierTcn.Formats.Internal;

/// <summary>Reads an ONNX file's opset and graph inputs/outputs (without ONNX Runtime) to check them against a
/// bundle manifest.</summary>
internal static class OnnxSignature
{
    public static (long Opset, IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs) Read(string path, ReadOnlySpan<byte> bytes)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not a valid ONNX model ({e.Message})");
        }
        if (model.Graph is null)
        {
            throw new InvalidDataException($"{path}: ONNX model has no graph");
        }
        long opset = model.OpsetImport.Where(o => o.Domain.Length == 0 || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = model.Graph.Input.Where(v => !initializers.Contains(v.Name)).Select(v => Spec(path, v)).ToList();
        var outputs = model.Graph.Output.Select(v => Spec(path, v)).ToList();
        return (opset, inputs, outputs);
    }

    private static TensorSpec Spec(string path, ValueInfoProto value)
    {
        if (value.Type?.TensorType is not { } tensor)
        {
            throw new InvalidDataException($"{path}: graph value '{value.Name}' is not a tensor");
        }
        string elementType = tensor.ElemType switch
        {
            (int)TensorProto.Types.DataType.Float => TensorSpec.Float32,
            (int)TensorProto.Types.DataType.Int64 => TensorSpec.Int64,
            _ => $"onnx-type-{tensor.ElemType}",
        };
        var shape = tensor.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam
            ? TensorDim.Dynamic(d.DimParam)
            : TensorDim.Fixed(d.DimValue)).ToList() ?? [];
        return new TensorSpec(value.Name, elementType, shape);
    }
}

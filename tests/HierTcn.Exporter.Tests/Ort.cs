using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace HierTcn.Exporter.Tests;

/// <summary>Runs an ONNX file on ONNX Runtime's CPU provider with one intra-op and one inter-op thread.</summary>
internal sealed class Ort : IDisposable
{
    private readonly InferenceSession _session;

    public Ort(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        _session = new InferenceSession(model, options);
    }

    public IReadOnlyDictionary<string, NodeMetadata> Inputs => _session.InputMetadata;

    public IReadOnlyDictionary<string, NodeMetadata> Outputs => _session.OutputMetadata;

    /// <summary>Runs with float or long inputs (name -> (data, shape)); returns every output as floats.</summary>
    public Dictionary<string, float[]> Run(params (string Name, Array Data, long[] Shape)[] inputs)
    {
        var values = inputs.Select(i => i.Data switch
        {
            float[] f => OrtValue.CreateTensorValueFromMemory(f, i.Shape),
            long[] l => OrtValue.CreateTensorValueFromMemory(l, i.Shape),
            _ => throw new ArgumentException(i.Name),
        }).ToList();
        try
        {
            var names = _session.OutputNames;
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, inputs.Select(i => i.Name).ToList(), values, names);
            return names.Zip(outputs).ToDictionary(p => p.First, p => p.Second.GetTensorDataAsSpan<float>().ToArray());
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    /// <summary>Like <see cref="Run"/>, but returns float outputs as float[] and int64 outputs as long[].</summary>
    public Dictionary<string, Array> RunMixed(params (string Name, Array Data, long[] Shape)[] inputs)
    {
        var values = inputs.Select(i => i.Data switch
        {
            float[] f => OrtValue.CreateTensorValueFromMemory(f, i.Shape),
            long[] l => OrtValue.CreateTensorValueFromMemory(l, i.Shape),
            _ => throw new ArgumentException(i.Name),
        }).ToList();
        try
        {
            var names = _session.OutputNames;
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, inputs.Select(i => i.Name).ToList(), values, names);
            return names.Zip(outputs).ToDictionary(p => p.First, p => p.Second.GetTensorTypeAndShape().ElementDataType == TensorElementType.Int64
                ? (Array)p.Second.GetTensorDataAsSpan<long>().ToArray()
                : p.Second.GetTensorDataAsSpan<float>().ToArray());
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    public void Dispose() => _session.Dispose();
}

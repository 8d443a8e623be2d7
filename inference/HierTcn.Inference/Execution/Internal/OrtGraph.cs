using HierTcn.Formats.Bundles;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace HierTcn.Inference.Execution.Internal;

/// <summary>
/// One ONNX graph of a bundle on an <see cref="InferenceSession"/> (thread-safe <c>Run</c>, shared by all callers),
/// checked at load: ONNX Runtime's own view of the inputs and outputs must be the manifest's, and the manifest must
/// declare exactly the inputs the service binds (names from <see cref="BundleSignatures.Tensors"/>) and the outputs
/// it reads, so a renamed tensor is refused at load instead of failing the first run.
/// </summary>
internal sealed class OrtGraph : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();

    private OrtGraph(InferenceSession session, string[] inputs, string[] outputs, string path, string provider)
    {
        _session = session;
        Path = path;
        Provider = provider;
        _inputNames = inputs;
        _outputNames = outputs;
    }

    public string Path { get; }

    /// <summary>The execution provider the session runs on (<see cref="ExecutionProviders"/>).</summary>
    public string Provider { get; }

    /// <summary>Creates the session for <paramref name="spec"/>, to be run with <paramref name="inputs"/> (all of
    /// the spec's inputs, in the order <see cref="Run(OrtValue[])"/> takes them) and read for <paramref name="outputs"/>. With
    /// <see cref="RecommenderOptions.UseCuda"/> the CUDA provider is appended; when that throws (no driver, no CUDA
    /// libraries), the CPU session is used and <paramref name="fallbackReason"/> says why.</summary>
    /// <exception cref="InvalidDataException">The spec does not declare exactly <paramref name="inputs"/> or lacks one
    /// of <paramref name="outputs"/>, or ONNX Runtime's view of the graph differs from the spec.</exception>
    public static OrtGraph Load(string path, GraphSpec spec, string[] inputs, string[] outputs, RecommenderOptions options,
        out string? fallbackReason)
    {
        CheckBinding(path, spec, inputs, outputs);
        fallbackReason = null;
        InferenceSession? session = null;
        string provider = ExecutionProviders.Cpu;
        if (options.UseCuda)
        {
            try
            {
                using var cudaOptions = NewOptions(options);
                // A node the CUDA provider cannot run fails the session here (and the whole graph falls back to the CPU,
                // logged and in the metrics) instead of running on the CPU unseen, with copies at every such node.
                cudaOptions.AddSessionConfigEntry(DisableCpuFallback, "1");
                using var cuda = new OrtCUDAProviderOptions();
                cuda.UpdateOptions(CudaSettings(options));
                cudaOptions.AppendExecutionProvider_CUDA(cuda);
                session = new InferenceSession(path, cudaOptions);
                provider = ExecutionProviders.Cuda;
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                fallbackReason = e.Message;
            }
        }
        if (session is null)
        {
            using var cpuOptions = NewOptions(options);
            session = new InferenceSession(path, cpuOptions);
        }
        try
        {
            Check(path, "inputs", spec.Inputs, session.InputMetadata, session.InputNames);
            Check(path, "outputs", spec.Outputs, session.OutputMetadata, session.OutputNames);
            return new OrtGraph(session, inputs, outputs, path, provider);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static void CheckBinding(string path, GraphSpec spec, string[] inputs, string[] outputs)
    {
        var declared = spec.Inputs.Select(i => i.Name).ToList();
        var missing = outputs.Except(spec.Outputs.Select(o => o.Name), StringComparer.Ordinal).ToList();
        if (!declared.Order(StringComparer.Ordinal).SequenceEqual(inputs.Order(StringComparer.Ordinal), StringComparer.Ordinal) || missing.Count > 0)
        {
            throw new InvalidDataException($"{path}: the service binds inputs {string.Join(", ", inputs)} and reads outputs "
                + $"{string.Join(", ", outputs)}; the manifest declares inputs {string.Join(", ", declared)} and outputs "
                + string.Join(", ", spec.Outputs.Select(o => o.Name)));
        }
    }

    /// <summary>ONNX Runtime's session setting that refuses to place a node on the CPU when another provider is
    /// appended.</summary>
    internal const string DisableCpuFallback = "session.disable_cpu_ep_fallback";

    /// <summary>The CUDA provider's settings, all explicit (ONNX Runtime's names): device, arena limit in bytes, arena
    /// grown by what is requested, cuDNN's algorithm search, copies on the compute stream.</summary>
    internal static Dictionary<string, string> CudaSettings(RecommenderOptions options) => new()
    {
        ["device_id"] = options.CudaDeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["gpu_mem_limit"] = (options.CudaMemoryLimitMegabytes * 1024L * 1024L).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["arena_extend_strategy"] = "kSameAsRequested",
        ["cudnn_conv_algo_search"] = options.CudnnConvAlgoSearch,
        ["do_copy_in_default_stream"] = "1",
    };

    private static SessionOptions NewOptions(RecommenderOptions options) => new()
    {
        IntraOpNumThreads = options.IntraOpThreads,
        InterOpNumThreads = options.InterOpThreads,
        ExecutionMode = options.InterOpThreads > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    private static void Check(string path, string kind, IReadOnlyList<TensorSpec> expected,
        IReadOnlyDictionary<string, NodeMetadata> metadata, IReadOnlyList<string> order)
    {
        var found = order.Select(name => Describe(name, metadata[name])).ToList();
        var want = expected.Select(Describe).ToList();
        if (!found.SequenceEqual(want, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{path}: ONNX Runtime sees {kind} {string.Join("; ", found)}; the manifest "
                + $"declares {string.Join("; ", want)}");
        }
    }

    private static string Describe(TensorSpec spec) =>
        $"{spec.Name}: {spec.ElementType}[{string.Join(", ", spec.Shape.Select(d => d.IsDynamic ? "?" : d.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";

    private static string Describe(string name, NodeMetadata m)
    {
        string type = m.ElementDataType switch
        {
            TensorElementType.Float => TensorSpec.Float32,
            TensorElementType.Int64 => TensorSpec.Int64,
            var other => other.ToString().ToLowerInvariant(),
        };
        return $"{name}: {type}[{string.Join(", ", m.Dimensions.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
    }

    /// <summary>Runs with <paramref name="inputs"/> in the order of the bound input names (the caller owns and
    /// disposes them); returns the bound outputs in their order, owned by the caller.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(params OrtValue[] inputs)
    {
        if (inputs.Length != _inputNames.Length)
        {
            throw new ArgumentException($"{Path} takes {_inputNames.Length} inputs ({string.Join(", ", _inputNames)}), got {inputs.Length}", nameof(inputs));
        }
        using var runOptions = new RunOptions();
        return _session.Run(runOptions, _inputNames, inputs, _outputNames);
    }

    /// <summary>A binding whose inputs (in the order of the bound input names) and outputs (the bound output names)
    /// are the given values, to run again and again with <see cref="Run(OrtIoBinding)"/> while their memory changes:
    /// no allocation per run. The caller owns and disposes it and the values.</summary>
    public OrtIoBinding Bind(ReadOnlySpan<OrtValue> inputs, ReadOnlySpan<OrtValue> outputs)
    {
        if (inputs.Length != _inputNames.Length || outputs.Length != _outputNames.Length)
        {
            throw new ArgumentException($"{Path} binds {_inputNames.Length} inputs and {_outputNames.Length} outputs, got {inputs.Length} and {outputs.Length}");
        }
        var binding = _session.CreateIoBinding();
        try
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                binding.BindInput(_inputNames[i], inputs[i]);
            }
            for (int i = 0; i < outputs.Length; i++)
            {
                binding.BindOutput(_outputNames[i], outputs[i]);
            }
            return binding;
        }
        catch
        {
            binding.Dispose();
            throw;
        }
    }

    /// <summary>Runs a binding from <see cref="Bind"/>: the outputs are written into the bound values.</summary>
    public void Run(OrtIoBinding binding) => _session.RunWithBinding(_runOptions, binding);

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}

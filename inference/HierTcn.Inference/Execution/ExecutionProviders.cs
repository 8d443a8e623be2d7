namespace HierTcn.Inference.Execution;

/// <summary>Names of the ONNX Runtime execution providers the service reports in logs and metrics.</summary>
public static class ExecutionProviders
{
    public const string Cpu = "CPUExecutionProvider";
    public const string Cuda = "CUDAExecutionProvider";
}

namespace HierTcn.Formats.Bundles;

/// <summary>One ONNX graph of a bundle: its file (relative to the bundle directory) and signature.</summary>
public sealed record GraphSpec(string File, IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs);

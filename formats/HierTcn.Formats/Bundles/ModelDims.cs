namespace HierTcn.Formats.Bundles;

/// <summary>Sizes of an exported model. <see cref="Layers"/> x <see cref="Hidden"/> is the recurrent state a user
/// carries between requests (high-level GRU, HRNN user GRU, flat GRU). TCN models also set the TCN fields;
/// <see cref="ReceptiveField"/> is the longest input row count that can change an output (null: unbounded, a GRU).</summary>
public sealed record ModelDims(int ItemDim, int Layers, int Hidden, int? Channels = null, int? Kernel = null, int? Blocks = null,
    int? ReceptiveField = null);

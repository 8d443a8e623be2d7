namespace HierTcn.Inference.Internal;

/// <summary>The user embedding of one batch row and, when scored, its top k (finite scores only).</summary>
internal sealed record EmbedResult(float[] Embedding, ItemScore[] Items);
